//! The standby: a read replica promoted, or an Aurora global secondary
//! switched over (or failed over), in place.

use super::*;

/// The backup retention a promoted replica gets when neither it nor its
/// source says: RDS's own default (1 day) is short for a new primary.
pub const DEFAULT_PROMOTED_RETENTION_DAYS: i32 = 7;

/// Whether the primary region of a global database answered a short read,
/// before a switchover that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrimaryProbe {
    /// It answered.
    Answered,
    /// It did not, within the bound: `detail` says how.
    Unreachable { region: String, detail: String },
    /// Not asked: a read replica, or a failover that does not need it.
    NotAsked,
}

/// A standby promotion as the result reports it: which instance (and
/// cluster) the database is now, and how far the promotion is.
#[derive(Debug, Clone, PartialEq)]
pub struct StandbyState {
    /// The promoted instance, or the cluster's writer (its first member
    /// while none is the writer yet).
    pub instance_id: String,
    /// The global secondary cluster, for an Aurora standby.
    pub cluster_id: Option<String>,
    pub status: status::RestoreStatus,
    pub db_instance_status: Option<String>,
    pub cluster_status: Option<String>,
    /// Where the application connects, once `status` is `available`.
    pub endpoint: Option<String>,
    pub port: Option<i32>,
    pub engine: Option<String>,
}

/// How far a standby request has got.
#[derive(Debug, Clone, PartialEq)]
pub enum StandbyProgress {
    /// An earlier attempt promoted it (its tag says so), or the global
    /// secondary is already the primary, or being made it: nothing to send.
    Done {
        state: StandbyState,
        recorded: Recorded,
    },
    /// It is still a standby: the promotion is to do.
    Standby(StandbyState),
}

/// Decides what a standby's facts mean for `req`, before the lag is read:
/// a replay, a standby to promote, or something that is not a standby.
pub fn standby_progress(
    req: &RestoreRequest,
    facts: &StandbyFacts,
) -> Result<StandbyProgress, Error> {
    let not_a_standby = |reason: String| Error::NotAStandby {
        standby: req.target.instance_id().to_owned(),
        region: req.region.clone(),
        reason,
    };
    match facts {
        StandbyFacts::Instance { instance, .. } => {
            let tag = |key: &str| instance.tag(key).map(str::to_owned);
            // The tag is written just before the promotion is asked for.
            let ours = tags::same_request(req, tag).is_ok();
            let promoted = instance.replica_source.is_none();
            let status = match (status::of_instance(&instance.status), promoted) {
                // RDS clears the replica's source when the promotion
                // completes: until then, an `available` replica is read-only.
                (status::RestoreStatus::Available, false) => status::RestoreStatus::Restoring,
                // Promoted with backups turned on, RDS takes a full backup at
                // once; the database takes writes meanwhile, and on a large
                // one the backup may outlast the workflow's wait.
                (_, true) if instance.status == "backing-up" => status::RestoreStatus::Available,
                (other, _) => other,
            };
            let state = StandbyState {
                instance_id: instance.id.clone(),
                cluster_id: None,
                status,
                db_instance_status: Some(instance.status.clone()),
                cluster_status: None,
                endpoint: instance.endpoint.clone(),
                port: instance.port,
                engine: instance.engine.clone(),
            };
            match (ours, promoted) {
                // Ours, and no longer a replica: promoted (or being).
                (true, true) => Ok(StandbyProgress::Done {
                    state,
                    recorded: tags::recorded(tag),
                }),
                // Ours and still a replica: the promotion is under way
                // (`modifying`, `rebooting`), or was refused after the tag
                // (`backing-up`): wait until RDS can promote it again.
                (true, false) if instance.status != "available" => Ok(StandbyProgress::Done {
                    state,
                    recorded: tags::recorded(tag),
                }),
                // Still an available replica: the promotion is to ask for
                // (again, when an earlier attempt died between the tag and
                // the call).
                (_, false) => Ok(StandbyProgress::Standby(state)),
                (false, true) => Err(not_a_standby(match instance.db_cluster.as_deref() {
                    Some(cluster) => format!(
                        "is an instance of Aurora cluster '{cluster}': name the cluster, the \
                         secondary of a global database"
                    ),
                    None => "is a standalone instance, not a read replica: it was promoted \
                             already (not by dr-lambdas: it carries no dr-lambdas:provenance \
                             tag of this standby), or never was a replica. If it is the database \
                             now, point the cutover at it yourself"
                        .to_owned(),
                })),
            }
        }
        StandbyFacts::Cluster { cluster, global } => {
            let Some(global) = global else {
                return Err(not_a_standby(
                    "is an Aurora cluster, but not a member of a global database".to_owned(),
                ));
            };
            let arn = cluster.arn.as_deref().ok_or_else(|| Error::Internal {
                detail: format!("RDS reported no ARN for cluster '{}'", cluster.id),
            })?;
            let writer = cluster
                .members
                .iter()
                .find(|(_, writer)| *writer)
                .or(cluster.members.first())
                .map(|(id, _)| id.clone());
            let Some(writer) = writer else {
                return Err(not_a_standby(format!(
                    "has no DB instance (a headless secondary): promoted, it would accept no \
                     connection. Add one first (aws rds create-db-instance --region {} \
                     --db-cluster-identifier {} --db-instance-identifier {}-1 --engine {} \
                     --db-instance-class <the primary writer's class>), wait for it to be \
                     available, then invoke again",
                    req.region,
                    cluster.id,
                    cluster.id,
                    cluster.engine.as_deref().unwrap_or("<engine>")
                )));
            };
            let primary = global.primary() == Some(arn);
            // A switchover RDS is cancelling is not coming: `plan_standby`
            // says so (StandbyNotReady) rather than asking for it again.
            // A switchover pending without its primary cannot finish: a
            // replay with allow_data_loss moves on to the failover.
            let lossy = matches!(
                req.source,
                Source::Standby {
                    allow_data_loss: true,
                    ..
                }
            );
            let coming = global.failover.as_ref().is_some_and(|f| {
                f.to.as_deref() == Some(arn)
                    && f.status != "cancelling"
                    && (f.data_loss_allowed || !lossy)
            });
            let usable = primary
                && global.failover.is_none()
                && status::of_cluster(&cluster.status, "available")
                    == status::RestoreStatus::Available;
            let state = StandbyState {
                instance_id: writer,
                cluster_id: Some(cluster.id.clone()),
                status: if usable {
                    status::RestoreStatus::Available
                } else {
                    status::RestoreStatus::Restoring
                },
                db_instance_status: None,
                cluster_status: Some(cluster.status.clone()),
                endpoint: cluster.endpoint.clone(),
                port: cluster.port,
                engine: cluster.engine.clone(),
            };
            if primary || coming {
                let tag = |key: &str| cluster.tag(key).map(str::to_owned);
                return Ok(StandbyProgress::Done {
                    state,
                    recorded: tags::recorded(tag),
                });
            }
            if !global.members.iter().any(|(member, _)| member == arn) {
                return Err(not_a_standby(format!(
                    "is not listed as a member of global database '{}'",
                    global.id
                )));
            }
            Ok(StandbyProgress::Standby(state))
        }
    }
}

/// The lag in words, for messages.
fn lag_words(lag: &Lag) -> String {
    match lag.seconds {
        Some(s) => format!("{s} s of data ({})", lag.note),
        None => format!("an unknown amount of data ({})", lag.note),
    }
}

/// Plans the promotion of a standby that `standby_progress` found to be
/// one: one call, then the tag that marks it ours.
pub fn plan_standby(
    req: &RestoreRequest,
    facts: &StandbyFacts,
    lag: &Lag,
    primary: &PrimaryProbe,
    request_id: &str,
    now: DateTime,
) -> Result<RestorePlan, Error> {
    let Source::Standby {
        standby,
        allow_data_loss,
        max_data_loss_seconds,
    } = &req.source
    else {
        return Err(Error::Internal {
            detail: "a standby plan for a restore request".to_owned(),
        });
    };
    let not_ready = |detail: String| Error::StandbyNotReady {
        standby: standby.clone(),
        region: req.region.clone(),
        detail,
    };
    let mut notes = Vec::new();
    // What the promotion loses: the lag, except for a lossless switchover.
    let (call, loses, resource, arn) = match facts {
        StandbyFacts::Instance {
            instance,
            source_retention,
        } => {
            if status::of_instance(&instance.status) != status::RestoreStatus::Available {
                return Err(not_ready(format!(
                    "it is {} (RDS promotes an available replica only)",
                    instance.status
                )));
            }
            let own = instance.backup_retention_period.filter(|d| *d > 0);
            let from_source = source_retention.filter(|d| *d > 0);
            let retention = own
                .or(from_source)
                .unwrap_or(DEFAULT_PROMOTED_RETENTION_DAYS);
            notes.push(match (own, from_source) {
                (Some(d), _) => format!("backups kept {d} days: the replica's own retention"),
                (None, Some(d)) => format!("backups kept {d} days: its source's retention"),
                (None, None) => format!(
                    "backups kept {retention} days: neither the replica nor its source (unreadable, \
                     or without backups) gives a retention"
                ),
            });
            (
                Step::Promote(Promote {
                    db_instance_identifier: instance.id.clone(),
                    backup_retention_period: retention,
                }),
                lag.seconds,
                "instance",
                instance.arn.clone(),
            )
        }
        StandbyFacts::Cluster { cluster, global } => {
            let Some(global) = global else {
                return Err(Error::Internal {
                    detail: "a global plan for a cluster outside a global database".to_owned(),
                });
            };
            let switchover_to_it = global.failover.as_ref().is_some_and(|f| {
                !f.data_loss_allowed
                    && f.status != "cancelling"
                    && f.to.as_deref() == cluster.arn.as_deref()
            });
            if *allow_data_loss && switchover_to_it {
                notes.push(
                    "a switchover to it was pending, which cannot finish without the primary: \
                     failing over instead"
                        .to_owned(),
                );
            } else if let Some(other) = &global.failover {
                return Err(not_ready(format!(
                    "global database '{}' is already {} to {}",
                    global.id,
                    other.status,
                    other.to.as_deref().unwrap_or("another cluster")
                )));
            }
            // A failover is for a primary region that is down, whatever the
            // global database's own status says then: RDS decides.
            let mut must_be_available = vec![("cluster", &cluster.status)];
            if !*allow_data_loss {
                must_be_available.push(("global database", &global.status));
            }
            for (what, status) in must_be_available {
                if status != "available" {
                    return Err(not_ready(format!("the {what} is {status}")));
                }
            }
            let target = GlobalTarget {
                global_cluster_identifier: global.id.clone(),
                target_db_cluster_identifier: cluster.arn.clone().unwrap_or_default(),
            };
            let (call, loses) = if *allow_data_loss {
                notes.push(
                    "allow_data_loss: a failover now, losing what the secondary had not \
                     replicated (the lag)"
                        .to_owned(),
                );
                (
                    Step::Failover(GlobalFailover {
                        target,
                        allow_data_loss: true,
                    }),
                    lag.seconds,
                )
            } else {
                match primary {
                    PrimaryProbe::Unreachable { region, detail } => {
                        return Err(Error::PrimaryRegionUnreachable {
                            global: global.id.clone(),
                            region: region.clone(),
                            detail: detail.clone(),
                            lag: lag_words(lag),
                        });
                    }
                    PrimaryProbe::Answered | PrimaryProbe::NotAsked => {
                        notes.push(
                            "a switchover: Aurora waits for the secondary to catch up, so no \
                             data is lost; the lag only delays it"
                                .to_owned(),
                        );
                        (Step::Switchover(target), Some(0))
                    }
                }
            };
            (call, loses, "cluster", cluster.arn.clone())
        }
    };
    notes.push(format!("lag: {}", lag.note));
    if let Some(limit) = max_data_loss_seconds {
        match loses {
            Some(s) if s <= i64::try_from(*limit).unwrap_or(i64::MAX) => {}
            _ => {
                return Err(Error::DataLossAboveLimit {
                    restoring: format!("promoting standby '{standby}'"),
                    lag: lag_words(lag),
                    limit: *limit,
                });
            }
        }
    }
    let recorded = Recorded {
        snapshot_id: None,
        recovery_point: loses.map(|s| DateTime::from_secs(now.secs() - s)),
        requested_at: Some(now),
    };
    let arn = arn.ok_or_else(|| Error::Internal {
        detail: format!("RDS reported no ARN for {resource} '{standby}'"),
    })?;
    let tag = Step::TagStandby(TagStandby {
        resource_name: arn,
        tags: tags::own_tags(req, &recorded, request_id),
    });
    // The tag first: should the invocation die right after RDS accepts the
    // call, a replay still knows the promotion as ours.
    Ok(RestorePlan {
        steps: vec![tag, call],
        notes,
        recorded,
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::facts::{GlobalFacts, GlobalFailoverFacts, Tag};
    use crate::restore::request::Overrides;

    /// 2026-11-22T00:00:00Z.
    const NOW: i64 = 1_795_305_600;
    const SECONDARY: &str = "arn:aws:rds:us-west-2:123456789012:cluster:orders-west";
    const PRIMARY: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";

    fn req(allow_data_loss: bool, max: Option<u64>) -> RestoreRequest {
        RestoreRequest {
            target: Target::Standby("orders-replica".into()),
            source: Source::Standby {
                standby: "orders-replica".into(),
                allow_data_loss,
                max_data_loss_seconds: max,
            },
            region: "us-west-2".into(),
            source_region: None,
            overrides: Overrides::default(),
            dry_run: false,
            trigger: crate::trigger::Trigger::Direct,
            drill: None,
        }
    }

    fn replica(retention: Option<i32>, source_retention: Option<i32>) -> StandbyFacts {
        StandbyFacts::Instance {
            instance: InstanceFacts {
                id: "orders-replica".into(),
                status: "available".into(),
                arn: Some("arn:aws:rds:us-west-2:123456789012:db:orders-replica".into()),
                replica_source: Some("arn:aws:rds:us-east-1:123456789012:db:orders".into()),
                backup_retention_period: retention,
                ..InstanceFacts::default()
            },
            source_retention,
        }
    }

    fn lag(seconds: Option<i64>) -> Lag {
        Lag {
            metric: "ReplicaLag",
            seconds,
            measured_at: None,
            note: "test".into(),
        }
    }

    fn secondary(members: &[(&str, bool)], failover: Option<GlobalFailoverFacts>) -> StandbyFacts {
        StandbyFacts::Cluster {
            cluster: ClusterFacts {
                id: "orders-replica".into(),
                status: "available".into(),
                arn: Some(SECONDARY.into()),
                engine: Some("aurora-postgresql".into()),
                members: vec![("orders-west-1".into(), false)],
                endpoint: Some("orders-west.cluster-x.us-west-2.rds.amazonaws.com".into()),
                port: Some(5432),
                ..ClusterFacts::default()
            },
            global: Some(GlobalFacts {
                id: "orders-global".into(),
                status: "available".into(),
                members: members.iter().map(|(a, w)| ((*a).to_owned(), *w)).collect(),
                failover,
            }),
        }
    }

    fn plan(
        req: &RestoreRequest,
        facts: &StandbyFacts,
        lag: &Lag,
        probe: &PrimaryProbe,
    ) -> Result<RestorePlan, Error> {
        plan_standby(req, facts, lag, probe, "req-1", DateTime::from_secs(NOW))
    }

    #[test]
    fn a_replica_is_promoted_keeping_its_sources_retention_and_then_tagged_ours() {
        let planned = plan(
            &req(false, None),
            &replica(Some(0), Some(14)),
            &lag(Some(3)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap();
        assert_eq!(
            planned.steps[1],
            Step::Promote(Promote {
                db_instance_identifier: "orders-replica".into(),
                backup_retention_period: 14
            })
        );
        let Step::TagStandby(tag) = &planned.steps[0] else {
            panic!("{:?}", planned.steps)
        };
        assert_eq!(
            tag.resource_name,
            "arn:aws:rds:us-west-2:123456789012:db:orders-replica"
        );
        assert!(
            tag.tags
                .contains(&Tag::new("dr-lambdas:provenance", "standby:orders-replica"))
        );
        assert_eq!(
            planned.recorded.recovery_point,
            Some(DateTime::from_secs(NOW - 3))
        );
    }

    #[test]
    fn a_replica_with_no_retention_anywhere_keeps_backups_seven_days_never_zero() {
        let planned = plan(
            &req(false, None),
            &replica(Some(0), None),
            &lag(Some(3)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap();
        let Step::Promote(promote) = &planned.steps[1] else {
            panic!()
        };
        assert_eq!(promote.backup_retention_period, 7);
    }

    #[test]
    fn a_replica_being_backed_up_is_not_ready_which_is_retryable() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.status = "backing-up".into();
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let err = plan(
            &req(false, None),
            &facts,
            &lag(Some(3)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap_err();
        assert_eq!(err.name(), "StandbyNotReady");
        assert!(err.is_retryable());
    }

    #[test]
    fn a_lag_above_the_limit_is_refused_and_so_is_an_unknown_one() {
        for lagging in [Some(120), None] {
            let err = plan(
                &req(false, Some(60)),
                &replica(None, None),
                &lag(lagging),
                &PrimaryProbe::NotAsked,
            )
            .unwrap_err();
            assert_eq!(err.name(), "DataLossAboveLimit", "{lagging:?}");
        }
        let within = plan(
            &req(false, Some(60)),
            &replica(None, None),
            &lag(Some(60)),
            &PrimaryProbe::NotAsked,
        );
        assert_eq!(within.map(|p| p.steps.len()).ok(), Some(2));
    }

    #[test]
    fn a_replica_we_promoted_is_a_replay_restoring_while_rds_still_names_its_source() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.status = "modifying".into();
        instance.tags = vec![(
            "dr-lambdas:provenance".into(),
            "standby:orders-replica".into(),
        )];
        let facts = StandbyFacts::Instance {
            instance: instance.clone(),
            source_retention: None,
        };
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Restoring);
        instance.replica_source = None;
        instance.status = "available".into();
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Available);
    }

    #[test]
    fn a_standalone_instance_not_promoted_by_us_is_not_a_standby() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.replica_source = None;
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let err = standby_progress(&req(false, None), &facts).unwrap_err();
        assert_eq!(err.name(), "NotAStandby");
        assert!(
            err.to_string()
                .contains("is a standalone instance, not a read replica"),
            "{err}"
        );
    }

    #[test]
    fn a_global_secondary_switches_over_losing_nothing_when_the_primary_answers() {
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], None);
        let planned = plan(
            &req(false, None),
            &facts,
            &lag(Some(2)),
            &PrimaryProbe::Answered,
        )
        .unwrap();
        assert_eq!(
            planned.steps[1],
            Step::Switchover(GlobalTarget {
                global_cluster_identifier: "orders-global".into(),
                target_db_cluster_identifier: SECONDARY.into()
            })
        );
        assert_eq!(
            planned.recorded.recovery_point,
            Some(DateTime::from_secs(NOW))
        );
    }

    #[test]
    fn an_unreachable_primary_refuses_the_switchover_naming_the_lag_and_allow_data_loss() {
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], None);
        let probe = PrimaryProbe::Unreachable {
            region: "us-east-1".into(),
            detail: "timed out".into(),
        };
        let err = plan(&req(false, None), &facts, &lag(Some(9)), &probe).unwrap_err();
        assert_eq!(err.name(), "PrimaryRegionUnreachable");
        let text = err.to_string();
        assert!(
            text.contains("9 s of data") && text.contains("\"allow_data_loss\": true"),
            "{text}"
        );
    }

    #[test]
    fn allow_data_loss_fails_over_with_allow_data_loss_and_records_the_lag() {
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], None);
        let planned = plan(
            &req(true, None),
            &facts,
            &lag(Some(9)),
            &PrimaryProbe::NotAsked,
        )
        .unwrap();
        assert_eq!(
            planned.steps[1],
            Step::Failover(GlobalFailover {
                target: GlobalTarget {
                    global_cluster_identifier: "orders-global".into(),
                    target_db_cluster_identifier: SECONDARY.into()
                },
                allow_data_loss: true
            })
        );
        assert_eq!(
            planned.recorded.recovery_point,
            Some(DateTime::from_secs(NOW - 9))
        );
    }

    #[test]
    fn a_secondary_that_is_already_the_writer_is_a_replay_and_available() {
        let facts = secondary(&[(PRIMARY, false), (SECONDARY, true)], None);
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Available);
        assert_eq!(state.cluster_id.as_deref(), Some("orders-replica"));
        assert_eq!(state.instance_id, "orders-west-1");
    }

    #[test]
    fn a_switchover_to_the_secondary_under_way_is_a_replay_still_restoring() {
        let switching = GlobalFailoverFacts {
            status: "switching-over".into(),
            to: Some(SECONDARY.into()),
            data_loss_allowed: false,
        };
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], Some(switching));
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Restoring);
    }

    #[test]
    fn a_headless_secondary_is_refused_with_the_command_that_adds_an_instance() {
        let StandbyFacts::Cluster {
            mut cluster,
            global,
        } = secondary(&[(PRIMARY, true), (SECONDARY, false)], None)
        else {
            panic!()
        };
        cluster.members.clear();
        let err = standby_progress(
            &req(false, None),
            &StandbyFacts::Cluster { cluster, global },
        )
        .unwrap_err();
        assert_eq!(err.name(), "NotAStandby");
        assert!(
            err.to_string().contains("aws rds create-db-instance"),
            "{err}"
        );
    }

    #[test]
    fn an_available_replica_tagged_ours_is_promoted_again_as_an_earlier_attempt_died_between() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.tags = vec![(
            "dr-lambdas:provenance".into(),
            "standby:orders-replica".into(),
        )];
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        assert!(matches!(
            standby_progress(&req(false, None), &facts),
            Ok(StandbyProgress::Standby(_))
        ));
    }

    #[test]
    fn a_promoted_replica_taking_its_first_backup_is_available() {
        let StandbyFacts::Instance { mut instance, .. } = replica(None, None) else {
            panic!()
        };
        instance.status = "backing-up".into();
        instance.replica_source = None;
        instance.tags = vec![(
            "dr-lambdas:provenance".into(),
            "standby:orders-replica".into(),
        )];
        let facts = StandbyFacts::Instance {
            instance,
            source_retention: None,
        };
        let Ok(StandbyProgress::Done { state, .. }) = standby_progress(&req(false, None), &facts)
        else {
            panic!()
        };
        assert_eq!(state.status, status::RestoreStatus::Available);
    }

    #[test]
    fn a_switchover_rds_is_cancelling_is_not_a_replay_and_is_not_asked_for_again() {
        let cancelling = GlobalFailoverFacts {
            status: "cancelling".into(),
            to: Some(SECONDARY.into()),
            data_loss_allowed: false,
        };
        let facts = secondary(&[(PRIMARY, true), (SECONDARY, false)], Some(cancelling));
        assert!(matches!(
            standby_progress(&req(false, None), &facts),
            Ok(StandbyProgress::Standby(_))
        ));
        let err = plan(
            &req(false, None),
            &facts,
            &lag(Some(1)),
            &PrimaryProbe::Answered,
        )
        .unwrap_err();
        assert_eq!(err.name(), "StandbyNotReady");
        assert!(err.to_string().contains("cancelling"), "{err}");
    }
}
