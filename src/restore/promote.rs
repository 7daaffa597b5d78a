//! The standby path of the restore: read what the standby is, decide
//! (`plan::standby_progress`, `plan::plan_standby`), then promote it with
//! one call and tag it ours (`rds::apply`). Nothing new is created.

use std::time::Duration;

use aws_sdk_rds::Client;
use aws_sdk_rds::primitives::DateTime;
use tracing::info;

use super::RestoreResult;
use super::facts::StandbyFacts;
use super::lag::{self, LagMetric};
use super::plan::{self, PrimaryProbe, StandbyProgress, StandbyState};
use super::rds::{self, Applied};
use super::request::{RestoreRequest, Source};
use super::status::RestoreStatus;
use super::step::Step;
use super::tags::Recorded;
use crate::aws::RegionalClients;
use crate::error::Error;
use crate::runtime::Invocation;

/// How long a read in the primary region may take: the region may be the
/// one that is down, and a recovery must not hang on it.
pub const PRIMARY_READ_SECONDS: u64 = 5;

/// Promotes the standby `req` names, or reports an earlier attempt's promotion.
pub(super) async fn promote(
    rds: &RegionalClients<Client>,
    cloudwatch: Option<&RegionalClients<aws_sdk_cloudwatch::Client>>,
    req: &RestoreRequest,
    invocation: &Invocation,
    now: DateTime,
) -> Result<RestoreResult, Error> {
    let region = req.region.as_str();
    let client = rds.get(region);
    let facts = read_standby(&client, req).await?;
    let state = match plan::standby_progress(req, &facts)? {
        StandbyProgress::Done { state, recorded } => {
            info!(
                status = state.status.as_str(),
                db_instance_status = state.db_instance_status.as_deref(),
                cluster_status = state.cluster_status.as_deref(),
                "standby already promoted by an earlier attempt (or the primary already); nothing sent"
            );
            let mut result = result_of(req, state, &recorded, now);
            result.replayed = true;
            return Ok(result);
        }
        StandbyProgress::Standby(state) => state,
    };
    let facts = with_source_retention(rds, region, facts).await;
    let (metrics, id, source_region): (&[LagMetric], &str, Option<String>) = match &facts {
        StandbyFacts::Instance { instance, .. } => (&[LagMetric::ReplicaLag], &instance.id, None),
        StandbyFacts::Cluster { cluster, global } => (
            &[LagMetric::AuroraRpoLag, LagMetric::AuroraReplicationLag],
            &cluster.id,
            global
                .as_ref()
                .and_then(|g| g.primary())
                .map(|arn| located(arn, region).0),
        ),
    };
    let lag = match cloudwatch {
        Some(cloudwatch) => {
            lag::read(
                &cloudwatch.get(region),
                metrics,
                id,
                source_region.as_deref(),
                now,
            )
            .await
        }
        None => lag::unread(metrics, "no CloudWatch client is configured"),
    };
    let probe = match (&facts, &req.source) {
        (
            StandbyFacts::Cluster {
                global: Some(global),
                ..
            },
            Source::Standby {
                allow_data_loss: false,
                ..
            },
        ) => probe_primary(rds, global.primary()).await?,
        _ => PrimaryProbe::NotAsked,
    };
    info!(lag_seconds = lag.seconds, lag = %lag.note, primary = ?probe, "standby read");
    let planned = plan::plan_standby(req, &facts, &lag, &probe, &invocation.request_id, now)?;
    let mut result = result_of(req, state, &planned.recorded, now);
    result.status = RestoreStatus::Restoring;
    result.endpoint = None;
    result.port = None;
    result.notes = planned.notes;
    result.lag_seconds = lag.seconds;
    if req.dry_run {
        info!(
            steps = planned.steps.len(),
            "dry run: promotion planned, nothing sent"
        );
        result.status = RestoreStatus::DryRun;
        result.plan = Some(planned.steps);
        return Ok(result);
    }
    let primary_region = match &facts {
        StandbyFacts::Cluster {
            global: Some(global),
            ..
        } => global.primary().map(|arn| located(arn, region).0),
        _ => None,
    };
    for step in &planned.steps {
        let to = call_region(step, region, primary_region.as_deref());
        match rds::apply(&rds.get(to), step, to).await? {
            Applied::Started { status } => {
                info!(operation = step.operation(), status = %status, "step sent");
                match step {
                    Step::Promote(_) => result.db_instance_status = Some(status),
                    Step::Switchover(_) | Step::Failover(_) => {
                        result.notes.push(format!("global database: {status}"));
                    }
                    _ => {}
                }
            }
            Applied::AlreadyExists | Applied::ClusterNotReady { .. } => {
                return Err(Error::Internal {
                    detail: format!("{} answered as a create", step.operation()),
                });
            }
        }
    }
    Ok(result)
}

/// What the standby is: an instance (a replica, or one we promoted), else a
/// cluster and its global database.
async fn read_standby(client: &Client, req: &RestoreRequest) -> Result<StandbyFacts, Error> {
    let id = req.target.instance_id();
    if let Some(instance) = rds::describe_instance(client, id).await? {
        return Ok(StandbyFacts::Instance {
            instance,
            source_retention: None,
        });
    }
    let Some(cluster) = rds::describe_cluster(client, id).await? else {
        return Err(Error::SourceInstanceNotFound {
            field: "standby",
            db_instance: id.to_owned(),
            region: req.region.clone(),
            missing: "no DB instance and no DB cluster of that name".to_owned(),
            remedy: format!(
                "Check the name and the region: a standby is promoted where it runs (\"region\": \
                 its region; aws rds describe-db-instances --region {})",
                req.region
            ),
        });
    };
    let global_id = match (&cluster.global_cluster, &cluster.arn) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(arn)) => rds::global_cluster_of(client, arn).await?,
        (None, None) => None,
    };
    let global = match global_id {
        Some(id) => rds::describe_global_cluster(client, &id).await?,
        None => None,
    };
    Ok(StandbyFacts::Cluster { cluster, global })
}

/// A replica without backups of its own keeps its source's retention when
/// promoted: read it, within `PRIMARY_READ_SECONDS`; unread, the plan's
/// default applies. A source named without an ARN runs beside the replica,
/// in `region`.
async fn with_source_retention(
    rds: &RegionalClients<Client>,
    region: &str,
    facts: StandbyFacts,
) -> StandbyFacts {
    let StandbyFacts::Instance { instance, .. } = facts else {
        return facts;
    };
    let own = instance.backup_retention_period.is_some_and(|d| d > 0);
    let source = match (&instance.replica_source, own) {
        (Some(source), false) => Some(source.clone()),
        _ => None,
    };
    let source_retention = match source {
        None => None,
        Some(source) => {
            let (region, id) = located(&source, region);
            let client = rds.get(&region);
            match tokio::time::timeout(
                Duration::from_secs(PRIMARY_READ_SECONDS),
                rds::describe_instance(&client, &id),
            )
            .await
            {
                Ok(Ok(Some(source))) => source.backup_retention_period,
                other => {
                    info!(source = %source, read = ?other.map(|r| r.map(|_| ())), "the replica's source could not be read; its retention is not known");
                    None
                }
            }
        }
    };
    StandbyFacts::Instance {
        instance,
        source_retention,
    }
}

/// The region a promotion's call goes to. `SwitchoverGlobalCluster` goes to
/// the primary's region: the Aurora User Guide's switchover steps ("Performing
/// switchovers for Amazon Aurora global databases", AWS CLI) run
/// `switchover-global-cluster` with `--region` of the primary cluster.
/// `FailoverGlobalCluster` goes to the secondary's (the standby's) region,
/// which is up when the primary's is not; so do a replica's promotion and
/// the tag, which act on the standby itself.
pub fn call_region<'a>(step: &Step, standby: &'a str, primary: Option<&'a str>) -> &'a str {
    match step {
        Step::Switchover(_) => primary.unwrap_or(standby),
        _ => standby,
    }
}

/// The region and identifier an RDS identifier or ARN names; a bare
/// identifier is in `here`.
fn located(id_or_arn: &str, here: &str) -> (String, String) {
    let parts: Vec<&str> = id_or_arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "rds", region, _, _, name] => ((*region).to_owned(), (*name).to_owned()),
        _ => (here.to_owned(), id_or_arn.to_owned()),
    }
}

/// Whether the global database's primary region answers a short read of the
/// primary cluster: a switchover cannot run without it. It counts as
/// answering only with the cluster available and a writer. Only silence, a
/// connection failure, a 5xx or throttling count as not answering: any other
/// error (AccessDenied) is itself the answer, and must not push an operator
/// into a lossy failover.
async fn probe_primary(
    rds: &RegionalClients<Client>,
    primary: Option<&str>,
) -> Result<PrimaryProbe, Error> {
    let Some(arn) = primary else {
        return Ok(PrimaryProbe::Unreachable {
            region: "unknown".to_owned(),
            detail: "the global database lists no primary cluster".to_owned(),
        });
    };
    let (region, id) = located(arn, rds.home_region());
    let client = rds.get(&region);
    let unreachable = |detail: String| PrimaryProbe::Unreachable {
        region: region.clone(),
        detail,
    };
    match tokio::time::timeout(
        Duration::from_secs(PRIMARY_READ_SECONDS),
        rds::describe_cluster(&client, &id),
    )
    .await
    {
        // A switchover needs a primary that can hand over: its cluster
        // available, with a writer. Anything less will not switch over.
        Ok(Ok(Some(cluster)))
            if cluster.status == "available" && cluster.members.iter().any(|(_, w)| *w) =>
        {
            Ok(PrimaryProbe::Answered)
        }
        Ok(Ok(Some(cluster))) => Ok(unreachable(format!(
            "its primary cluster '{id}' is {}{}, and cannot hand over",
            cluster.status,
            if cluster.members.iter().any(|(_, w)| *w) {
                ""
            } else {
                " without a writer"
            }
        ))),
        Ok(Ok(None)) => Ok(unreachable(format!(
            "its primary cluster '{id}' is not found in {region}"
        ))),
        Ok(Err(e @ (Error::ServiceUnavailable(_) | Error::Throttled(_)))) => Ok(unreachable(
            format!("DescribeDBClusters failed: {}: {e}", e.name()),
        )),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(unreachable(format!(
            "DescribeDBClusters of '{id}' did not answer within {PRIMARY_READ_SECONDS} s"
        ))),
    }
}

/// The result for a standby in `state`, its data loss from `recorded`.
fn result_of(
    req: &RestoreRequest,
    state: StandbyState,
    recorded: &Recorded,
    now: DateTime,
) -> RestoreResult {
    let mut result = RestoreResult::new(req, state.status, recorded, now);
    result.instance_id = state.instance_id;
    result.cluster_id = state.cluster_id;
    result.db_instance_status = state.db_instance_status;
    result.cluster_status = state.cluster_status;
    // Only a usable database has an address worth cutting over to.
    if state.status == RestoreStatus::Available {
        result.endpoint = state.endpoint;
        result.port = state.port;
    }
    result.engine = state.engine;
    result
}
