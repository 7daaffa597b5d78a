//! The imperative shell of the failover: the only code that talks to Route 53.
//!
//! Reads (`ListResourceRecordSets`, `GetHealthCheckStatus`) and exactly one
//! write, `ChangeResourceRecordSets`, whose batch Route 53 applies entirely
//! or not at all.

use aws_sdk_route53::Client;
use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
use aws_sdk_route53::operation::get_health_check::GetHealthCheckError;
use aws_sdk_route53::operation::get_health_check_status::GetHealthCheckStatusError;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsError;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, HealthCheckType, ResourceRecordSet,
};

use super::config::normalize_name;
use super::plan::RecordChange;
use crate::error::{Error, from_sdk};
use crate::failover::FailoverStatus;
use crate::failover::health::HealthFacts;

/// Pages of one name's record sets read at most. Route 53 pages 300 record
/// sets; a name with more than 6000 is not one this function was set up for.
const MAX_PAGES: usize = 20;

/// What Route 53 answered to the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The change id without its `/change/` prefix, as `GetChange` takes it.
    pub change_id: String,
    /// `Pending` on real Route 53 until the change reaches every name server.
    pub status: FailoverStatus,
}

/// Lists the record sets of `name` (all types and set identifiers), all pages.
pub async fn list_record_sets(
    client: &Client,
    zone: &str,
    name: &str,
) -> Result<Vec<ResourceRecordSet>, Error> {
    let mut sets = Vec::new();
    let mut next: Option<(
        String,
        Option<aws_sdk_route53::types::RrType>,
        Option<String>,
    )> = Some((name.to_owned(), None, None));
    // Route 53 lists in name order from start_record_name: stop at the first other name.
    let mut pages = 0;
    while let Some((start_name, start_type, start_id)) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(Error::Misconfigured {
                variable: "RECORD_NAMES",
                reason: format!(
                    "names {name}, which has more than {MAX_PAGES} pages of record sets in the zone; \
                     dr-lambdas moves names with a record set per region, not thousands"
                ),
            });
        }
        let page = client
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .start_record_name(start_name)
            .set_start_record_type(start_type)
            .set_start_record_identifier(start_id)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(ListResourceRecordSetsError::NoSuchHostedZone(_)) => {
                    Error::HostedZoneNotFound {
                        zone_id: zone.to_owned(),
                    }
                }
                _ => from_sdk("ListResourceRecordSets", e),
            })?;
        let before = sets.len();
        sets.extend(
            page.resource_record_sets()
                .iter()
                .filter(|s| normalize_name(&s.name) == name)
                .cloned(),
        );
        let past_name = sets.len() - before < page.resource_record_sets().len();
        if page.is_truncated() && !past_name {
            next = page.next_record_name().map(|n| {
                (
                    n.to_owned(),
                    page.next_record_type().cloned(),
                    page.next_record_identifier().map(str::to_owned),
                )
            });
        }
    }
    Ok(sets)
}

/// What Route 53 says of one health check: its configuration
/// (`GetHealthCheck`) and, when it has checkers, their reports
/// (`GetHealthCheckStatus`).
pub async fn health_facts(client: &Client, id: &str) -> Result<HealthFacts, Error> {
    let check = match client.get_health_check().health_check_id(id).send().await {
        Ok(out) => out,
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetHealthCheckError::NoSuchHealthCheck(_))
            ) =>
        {
            return Ok(HealthFacts::Missing);
        }
        Err(e) => return Err(from_sdk("GetHealthCheck", e)),
    };
    let config = check.health_check().and_then(|h| h.health_check_config());
    let disabled = config.and_then(|c| c.disabled()).unwrap_or(false);
    let inverted = config.and_then(|c| c.inverted()).unwrap_or(false);
    let unreadable = config
        .map(|c| c.r#type())
        .filter(|t| {
            matches!(
                t,
                HealthCheckType::Calculated | HealthCheckType::RecoveryControl
            )
        })
        .map(|t| t.as_str().to_owned());
    if disabled || unreadable.is_some() {
        return Ok(HealthFacts::Found {
            disabled,
            unreadable,
            inverted,
            reports: Vec::new(),
        });
    }
    let status = match client
        .get_health_check_status()
        .health_check_id(id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetHealthCheckStatusError::NoSuchHealthCheck(_))
            ) =>
        {
            return Ok(HealthFacts::Missing);
        }
        Err(e) => return Err(from_sdk("GetHealthCheckStatus", e)),
    };
    Ok(HealthFacts::Found {
        disabled,
        unreadable,
        inverted,
        reports: status
            .health_check_observations()
            .iter()
            .filter_map(|o| o.status_report()?.status())
            .map(str::to_owned)
            .collect(),
    })
}

/// Submits every change in ONE batch: Route 53 applies all or none.
pub async fn submit(
    client: &Client,
    zone: &str,
    changes: &[RecordChange],
    comment: &str,
) -> Result<Submitted, Error> {
    // UPSERT of each planned record set, all in one batch. (DELETE-as-read
    // plus CREATE would also catch a concurrent edit, but moto deletes by
    // SetIdentifier across all names, so it could not be tested here; our own
    // failovers are serialised by ReservedConcurrentExecutions = 1.)
    let changes = changes
        .iter()
        .map(|c| {
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(c.after.clone())
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Internal {
            detail: format!("a change of the batch could not be built: {e}"),
        })?;
    let batch = ChangeBatch::builder()
        .comment(comment)
        .set_changes(Some(changes))
        .build()
        .map_err(|e| Error::Internal {
            detail: format!("the change batch could not be built: {e}"),
        })?;
    let out = client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(ChangeResourceRecordSetsError::NoSuchHostedZone(_)) => Error::HostedZoneNotFound {
                zone_id: zone.to_owned(),
            },
            _ => from_sdk("ChangeResourceRecordSets", e),
        })?;
    let info = out.change_info();
    Ok(Submitted {
        change_id: info
            .map(|i| i.id().trim_start_matches("/change/").to_owned())
            .unwrap_or_default(),
        // Anything but INSYNC (including a status this SDK does not know yet)
        // means "not propagated yet": the workflow polls GetChange.
        status: match info.map(|i| i.status()) {
            Some(ChangeStatus::Insync) => FailoverStatus::Insync,
            _ => FailoverStatus::Pending,
        },
    })
}
