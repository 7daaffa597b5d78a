//! The drill's cleanup: the project's only delete. It deletes a database
//! only when its name is a drill identifier and it carries the drill's tag
//! (`plan::deletable`), and a record only when it is the configured drill
//! record. Anything else is refused with `DrillCleanupRefused`, and nothing
//! is deleted. The role that runs it may delete only under the same two
//! conditions (template.yaml), and holds no tagging right.

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::delete_db_cluster::DeleteDBClusterError;
use aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, RrType};
use serde::Serialize;
use serde_json::Value;
use tracing::info;

use super::plan;
use crate::error::{Error, from_sdk};
use crate::restore::rds;
use crate::validate::DRILL_TAG;

/// At most this many pages of 100 are read when looking for leftovers.
const MAX_PAGES: usize = 20;

/// What a cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cleaned {
    /// What was deleted (or was being deleted already), e.g. `instance 'x-d1a2b3c4e'`.
    pub deleted: Vec<String>,
    /// What is left for the next call: a cluster whose writer is still
    /// being deleted.
    pub pending: Vec<String>,
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

/// What earlier drills of the same input left behind: the instances (and
/// whether each is an Aurora member) and clusters whose names are `base`
/// and a drill suffix, and which carry a drill tag (any drill's). What an
/// execution time-out left. Read-only: `check-readiness` reports them.
pub async fn leftovers(
    client: &Client,
    base: &str,
) -> Result<(Vec<(String, bool)>, Vec<String>), Error> {
    // Exactly the base and a drill suffix: not another input's drill whose
    // name merely starts the same (`orders-dr-eu-d...` for `orders-dr`).
    let is_leftover = |id: &str, tag: Option<&str>| {
        id.len() == base.len() + crate::validate::DRILL_SUFFIX_LEN
            && id.starts_with(base)
            && plan::deletable(id, tag, None).is_ok()
    };
    let drill_tag = |tags: &[aws_sdk_rds::types::Tag]| {
        tags.iter()
            .find(|t| t.key() == Some(DRILL_TAG))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    let mut instances = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .describe_db_instances()
            .set_marker(marker.clone())
            .max_records(100)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeDBInstances", e))?;
        for db in out.db_instances() {
            let id = db.db_instance_identifier().unwrap_or_default();
            if is_leftover(id, drill_tag(db.tag_list()).as_deref()) {
                instances.push((id.to_owned(), db.db_cluster_identifier().is_some()));
            }
        }
        marker = out.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut clusters = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .describe_db_clusters()
            .set_marker(marker.clone())
            .max_records(100)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeDBClusters", e))?;
        for c in out.db_clusters() {
            let id = c.db_cluster_identifier().unwrap_or_default();
            if is_leftover(id, drill_tag(c.tag_list()).as_deref()) {
                clusters.push(id.to_owned());
            }
        }
        marker = out.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok((instances, clusters))
}

/// Deletes the `leftovers` of earlier drills of the same input, instances
/// first (an Aurora cluster goes once its writer has).
pub async fn sweep(client: &Client, region: &str, base: &str) -> Result<Cleaned, Error> {
    let mut cleaned = Cleaned::default();
    let (instances, clusters) = leftovers(client, base).await?;
    for (id, in_cluster) in instances {
        delete_instance(client, region, &id, None, in_cluster, &mut cleaned).await?;
    }
    for id in clusters {
        delete_cluster(client, region, &id, None, &mut cleaned).await?;
    }
    Ok(cleaned)
}

/// Deletes the drill record `name` (a CNAME) in `zone`, if it exists.
pub async fn delete_record(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
) -> Result<Option<String>, Error> {
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    let out = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(&fqdn)
        .start_record_type(RrType::Cname)
        .max_items(1)
        .send()
        .await
        .map_err(|e| from_sdk("ListResourceRecordSets", e))?;
    let Some(set) = out
        .resource_record_sets()
        .iter()
        .find(|s| s.name() == fqdn && *s.r#type() == RrType::Cname)
    else {
        return Ok(None);
    };
    let batch = ChangeBatch::builder()
        .comment("dr-lambdas: the drill is over")
        .changes(
            Change::builder()
                .action(ChangeAction::Delete)
                .resource_record_set(set.clone())
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
