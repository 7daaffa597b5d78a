//! The drill's cleanup: the project's only delete. It deletes a database
//! only when its name is a drill identifier and it carries the drill's tag
//! (`plan::deletable`), and a record only when it is the configured drill
//! record. Anything else is refused with `DrillCleanupRefused`, and nothing
//! is deleted. The role that runs it may delete only under the same two
//! conditions (template.yaml), and holds no tagging right.

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::delete_db_cluster::DeleteDBClusterError;
use aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType};
use serde::Serialize;
use serde_json::Value;
use tracing::info;

use super::plan;
use super::preflight::RecordSet;
use crate::error::{Error, from_sdk};
use crate::restore::rds;
use crate::validate::DRILL_TAG;

/// What a cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cleaned {
    /// What was deleted (or was being deleted already), e.g. `instance 'x-d1a2b3c4e'`.
    pub deleted: Vec<String>,
    /// What is left for the next call: a cluster whose writer is still
    /// being deleted.
    pub pending: Vec<String>,
}

/// One database's copy in a drill of a scenario: what the cleanup deletes.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Copy {
    pub database: String,
    /// Its drill record (deleted while it points at this drill's copy).
    pub record: String,
    /// Its restore event, under drill names.
    pub restore: Value,
}

/// The names a drill's restore event creates: `(instance, cluster)`.
pub fn names(restore: &Value) -> (Option<String>, Option<String>) {
    let text = |f: &str| restore.get(f).and_then(Value::as_str).map(str::to_owned);
    match text("db_cluster") {
        Some(cluster) => (text("writer_instance"), Some(cluster)),
        None => (text("db_instance"), None),
    }
}

/// Deletes what the drill `marker` restored under `instance` / `cluster`.
pub async fn delete_database(
    client: &Client,
    region: &str,
    instance: Option<&str>,
    cluster: Option<&str>,
    marker: Option<&str>,
) -> Result<Cleaned, Error> {
    let mut cleaned = Cleaned::default();
    if let Some(id) = instance {
        delete_instance(client, region, id, marker, cluster.is_some(), &mut cleaned).await?;
    }
    if let Some(id) = cluster {
        delete_cluster(client, region, id, marker, &mut cleaned).await?;
    }
    Ok(cleaned)
}

fn refused(kind: &'static str, id: &str, region: &str, reason: String) -> Error {
    Error::DrillCleanupRefused {
        kind,
        id: id.to_owned(),
        region: region.to_owned(),
        reason,
    }
}

async fn delete_instance(
    client: &Client,
    region: &str,
    id: &str,
    marker: Option<&str>,
    in_cluster: bool,
    cleaned: &mut Cleaned,
) -> Result<(), Error> {
    let Some(found) = rds::describe_instance(client, id).await? else {
        return Ok(());
    };
    plan::deletable(id, found.tag(DRILL_TAG), marker)
        .map_err(|reason| refused("instance", id, region, reason))?;
    if found.status == "deleting" {
        cleaned
            .deleted
            .push(format!("instance '{id}' (being deleted)"));
        return Ok(());
    }
    // SkipFinalSnapshot also for an Aurora member: RDS deletes an instance
    // in a failed status only with it. Automated backups are the cluster's.
    let request = client
        .delete_db_instance()
        .db_instance_identifier(id)
        .skip_final_snapshot(true);
    let request = if in_cluster {
        request
    } else {
        request.delete_automated_backups(true)
    };
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DeleteDBInstanceError::DbInstanceNotFoundFault(_))
            ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(from_sdk("DeleteDBInstance", e)),
    }
    info!(instance = id, "drill instance deleted");
    cleaned.deleted.push(format!("instance '{id}'"));
    Ok(())
}

async fn delete_cluster(
    client: &Client,
    region: &str,
    id: &str,
    marker: Option<&str>,
    cleaned: &mut Cleaned,
) -> Result<(), Error> {
    let Some(found) = rds::describe_cluster(client, id).await? else {
        return Ok(());
    };
    plan::deletable(id, found.tag(DRILL_TAG), marker)
        .map_err(|reason| refused("cluster", id, region, reason))?;
    if found.status == "deleting" {
        cleaned
            .deleted
            .push(format!("cluster '{id}' (being deleted)"));
        return Ok(());
    }
    let sent = client
        .delete_db_cluster()
        .db_cluster_identifier(id)
        .skip_final_snapshot(true)
        .delete_automated_backups(true)
        .send()
        .await;
    match sent {
        Ok(_) => {
            info!(cluster = id, "drill cluster deleted");
            cleaned.deleted.push(format!("cluster '{id}'"));
            Ok(())
        }
        Err(e) => match e.as_service_error() {
            Some(DeleteDBClusterError::DbClusterNotFoundFault(_)) => Ok(()),
            // Its writer is still being deleted: the next call deletes it.
            Some(DeleteDBClusterError::InvalidDbClusterStateFault(_)) => {
                cleaned.pending.push(format!("cluster '{id}'"));
                Ok(())
            }
            _ => Err(from_sdk("DeleteDBCluster", e)),
        },
    }
}

/// One database an earlier drill of the same input left behind: what the
/// sweep, and readiness, judge it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// `instance` or `cluster`.
    pub kind: &'static str,
    pub id: String,
    /// Its ARN, for the command that keeps it (removes its drill tag).
    pub arn: Option<String>,
    /// An instance that is an Aurora cluster's member.
    pub in_cluster: bool,
    /// That cluster: a member is judged by its cluster, whose endpoints a
    /// record would point at.
    pub cluster: Option<String>,
    /// `InstanceCreateTime` / `ClusterCreateTime` (epoch seconds); RDS
    /// gives none while it is still being created.
    pub created: Option<i64>,
    /// `DeletionProtection`: a drill creates its copies without it, so a
    /// protected one is one a person wanted kept.
    pub protected: bool,
    /// Every address a record could point at it by: an instance's endpoint;
    /// a cluster's writer, reader and custom endpoints.
    pub addresses: Vec<String>,
}

/// What earlier drills of the same input left behind: the instances and
/// clusters whose names are `base` and a drill suffix, and which carry a
/// drill tag (any drill's). What an execution time-out left. Read-only:
/// `check-readiness` reports them.
pub async fn leftovers(client: &Client, base: &str) -> Result<Vec<Leftover>, Error> {
    Ok(leftovers_in(&rds::list_databases(client).await?, base))
}

/// [`leftovers`], judged on a listing already read: one listing of a region
/// serves every database of a plan.
pub fn leftovers_in(listing: &[rds::Listed], base: &str) -> Vec<Leftover> {
    // Exactly the base and a drill suffix: not another input's drill whose
    // name merely starts the same (`orders-dr-eu-d...` for `orders-dr`).
    listing
        .iter()
        .filter(|db| {
            db.id.len() == base.len() + crate::validate::DRILL_SUFFIX_LEN
                && db.id.starts_with(base)
                && plan::deletable(&db.id, db.drill_tag.as_deref(), None).is_ok()
        })
        .map(|db| Leftover {
            kind: db.kind,
            id: db.id.clone(),
            arn: db.arn.clone(),
            in_cluster: db.cluster.is_some(),
            cluster: db.cluster.clone(),
            created: db.created,
            protected: db.protected,
            addresses: db.addresses.clone(),
        })
        .collect()
}

/// What a sweep did: deleted, kept (and why), and the clusters still
/// waiting for their writer, which the drill's own cleanup loop finishes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Swept {
    pub deleted: Vec<String>,
    pub kept: Vec<plan::Kept>,
    /// Cluster identifiers whose deletion waits for their writer.
    pub pending: Vec<String>,
}

/// Deletes the leftovers of earlier drills of the same input that are
/// provably an old drill's copy (`plan::sweep_verdict`), instances first (an
/// Aurora cluster goes once its writer has). A leftover RDS refuses to
/// delete is kept and named, never a reason to fail the drill: one
/// leftover must not stop every later drill.
pub async fn sweep(
    client: &Client,
    region: &str,
    bases: &[String],
    now: i64,
    production: &Result<Vec<(String, String)>, String>,
) -> Result<Swept, Error> {
    let mut swept = Swept::default();
    // Every base's leftovers judged together: a cluster and its writer have
    // two bases, and a member is judged by its cluster.
    let mut found: Vec<Leftover> = Vec::new();
    let listing = rds::list_databases(client).await?;
    for base in bases {
        for leftover in leftovers_in(&listing, base) {
            if !found
                .iter()
                .any(|f| f.kind == leftover.kind && f.id == leftover.id)
            {
                found.push(leftover);
            }
        }
    }
    let verdicts = plan::sweep_verdicts(&found, now, production);
    for (leftover, verdict) in verdicts {
        match verdict {
            plan::Verdict::InProgress => {
                info!(id = %leftover.id, "a drill copy younger than a drill: in progress, kept");
            }
            plan::Verdict::Keep(reason) => {
                // A kept cluster's members are kept with it, named once.
                if leftover.cluster.is_none() {
                    swept.kept.push(plan::Kept::new(leftover, region, reason));
                }
            }
            plan::Verdict::Delete => {
                let mut cleaned = Cleaned::default();
                let sent = if leftover.kind == "cluster" {
                    delete_cluster(client, region, &leftover.id, None, &mut cleaned).await
                } else {
                    delete_instance(
                        client,
                        region,
                        &leftover.id,
                        None,
                        leftover.in_cluster,
                        &mut cleaned,
                    )
                    .await
                };
                match sent {
                    Ok(()) => {
                        swept.deleted.extend(cleaned.deleted);
                        swept
                            .pending
                            .extend(cleaned.pending.iter().map(|_| leftover.id.clone()));
                    }
                    Err(e) if e.is_retryable() => return Err(e),
                    Err(e) => swept.kept.push(plan::Kept::new(
                        leftover,
                        region,
                        format!("RDS refused to delete it ({}: {e})", e.name()),
                    )),
                }
            }
        }
    }
    Ok(swept)
}

/// What every production record's name points at now: `(record, value)`
/// for each value (a CNAME's, an A record's, an alias's DNS name). A
/// leftover any of them points at is never deleted.
pub async fn production_values(
    client: &aws_sdk_route53::Client,
    zone: &str,
    names: &[String],
) -> Result<Vec<(String, String)>, Error> {
    let mut values = Vec::new();
    for name in names {
        for set in sets_named(client, zone, name).await? {
            values.extend(
                set.resource_records()
                    .iter()
                    .map(|r| (name.clone(), r.value().to_owned())),
            );
            values.extend(
                set.alias_target()
                    .map(|a| (name.clone(), a.dns_name().to_owned())),
            );
        }
    }
    Ok(values)
}

/// Every record set named `name` in `zone` (weighted, latency, alias ones
/// included): one page of 100 from the name on, the sets of that name only
/// (the listing goes on to the names after it).
async fn sets_named(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
) -> Result<Vec<ResourceRecordSet>, Error> {
    let fqdn = format!("{}.", super::preflight::normalized(name));
    let out = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(&fqdn)
        .max_items(100)
        .send()
        .await
        .map_err(|e| from_sdk("ListResourceRecordSets", e))?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|s| super::preflight::normalized(s.name()) == fqdn.trim_end_matches('.'))
        .cloned()
        .collect())
}

/// The record sets under `name` in `zone`, as the pre-flight and the cleanup
/// judge them (`preflight::drill_record_problem`), with the CNAME to delete.
pub async fn record_sets(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
) -> Result<(Vec<RecordSet>, Option<ResourceRecordSet>), Error> {
    let mine = sets_named(client, zone, name).await?;
    let judged = mine
        .iter()
        .map(|s| RecordSet {
            set_identifier: s.set_identifier().map(str::to_owned),
            alias: s.alias_target().is_some(),
            values: s
                .resource_records()
                .iter()
                .map(|r| r.value().to_owned())
                .collect(),
        })
        .collect();
    let cname = mine.into_iter().find(|s| *s.r#type() == RrType::Cname);
    Ok((judged, cname))
}

/// Deletes the drill record `name` (a CNAME) in `zone`, if it exists and is
/// this drill's: a plain CNAME whose value is the endpoint of a copy named
/// with this drill's `suffix`. Anything else under that name that is not a
/// drill's is refused; another drill's is left alone.
pub async fn delete_record(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
    suffix: &str,
) -> Result<Option<String>, Error> {
    let (sets, cname) = record_sets(client, zone, name).await?;
    if let Some(problem) = super::preflight::drill_record_problem(name, &sets) {
        return Err(Error::Misconfigured {
            variable: "DRILL_DB_ENDPOINT_RECORD_NAME",
            reason: format!(
                "names a record that is not a drill's: {problem}. It was left as it is"
            ),
        });
    }
    let Some(set) = cname else {
        return Ok(None);
    };
    // Another drill's copy (a drill refused while one ran): not this
    // drill's to delete.
    let this_drills = set.resource_records().iter().all(|r| {
        super::preflight::normalized(r.value())
            .split('.')
            .next()
            .is_some_and(|label| label.ends_with(suffix))
    });
    if !this_drills {
        info!(record = %set.name(), "the drill record points at another drill's copy: left");
        return Ok(None);
    }
    let fqdn = set.name().to_owned();
    let batch = ChangeBatch::builder()
        .comment("dr-lambdas: the drill is over")
        .changes(
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(set)
                .build()
                .map_err(|e| Error::Internal {
                    detail: format!("a DELETE change could not be built: {e}"),
                })?,
        )
        .build()
        .map_err(|e| Error::Internal {
            detail: format!("a change batch could not be built: {e}"),
        })?;
    client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| from_sdk("ChangeResourceRecordSets", e))?;
    info!(record = %fqdn, "drill record deleted");
    Ok(Some(format!("record '{fqdn}'")))
}
