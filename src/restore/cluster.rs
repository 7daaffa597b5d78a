//! The Aurora path, pure: what a restored cluster carries over from its
//! source cluster, and the writer instance created in it.
//!
//! An Aurora restore is two calls: `RestoreDBClusterFromSnapshot` (or
//! `...ToPointInTime`) creates only the cluster, and `CreateDBInstance` with
//! `DBClusterIdentifier` its writer; until the writer exists, nothing can
//! connect. The plan (`plan.rs`) lists both steps, or only the writer when
//! an earlier attempt of the same request left the cluster without one.

use super::facts::{Baseline, ClusterFacts, InstanceFacts};
use super::request::Overrides;
use super::settings::{major_version, network_guard};
use super::step::{ClusterSettings, ServerlessV2Scaling};
use crate::error::Error;

/// The instance class of an Aurora Serverless v2 writer.
pub const SERVERLESS: &str = "db.serverless";

/// A restored cluster's settings, and the engine version to ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSettled {
    pub settings: ClusterSettings,
    pub engine_version: Option<String>,
    pub notes: Vec<String>,
}

/// The settings of a cluster restored onto `baseline` (the snapshot's engine):
/// the source cluster's where RDS accepts them, the event's overrides on top.
///
/// The network is checked as for instances ([`network_guard`]).
pub fn settings(
    overrides: &Overrides,
    baseline: &Baseline,
    source: Option<&ClusterFacts>,
    region: &str,
) -> Result<ClusterSettled, Error> {
    let o = overrides;
    network_guard(
        o,
        source.map(|s| (s.subnet_group.as_deref(), s.security_groups.as_slice())),
        "cluster",
        region,
    )?;
    let mut notes = Vec::new();
    let same_family = source.is_some_and(|s| same_family(s, baseline));
    // Never left out: RDS would pick the region's default version, which may
    // be another major than the snapshot's. The source's own version where
    // it is a later minor of the same major (it was upgraded since the
    // snapshot); never one earlier than the snapshot's, which RDS refuses.
    let engine_version = match (
        source
            .filter(|_| same_family)
            .and_then(|s| s.engine_version.clone()),
        baseline.engine_version.clone(),
    ) {
        (Some(src), Some(snap)) => Some(if later_or_equal(&src, &snap) {
            src
        } else {
            snap
        }),
        (src, snap) => snap.or(src),
    };
    if let Some(src) = source
        && !same_family
    {
        notes.push(format!(
            "the source cluster runs {} {}, the snapshot {} {}: the snapshot's version is \
             restored; the source's cluster parameter group and log exports are left to RDS",
            src.engine.as_deref().unwrap_or("?"),
            src.engine_version.as_deref().unwrap_or("?"),
            baseline.engine.as_deref().unwrap_or("?"),
            baseline.engine_version.as_deref().unwrap_or("?"),
        ));
    }
    let aurora_mysql = baseline.engine.as_deref() == Some("aurora-mysql");
    Ok(ClusterSettled {
        settings: ClusterSettings {
            db_subnet_group_name: o
                .db_subnet_group
                .clone()
                .or_else(|| source.and_then(|s| s.subnet_group.clone())),
            vpc_security_group_ids: o.vpc_security_group_ids.clone().unwrap_or_else(|| {
                source
                    .map(|s| s.security_groups.clone())
                    .unwrap_or_default()
            }),
            db_cluster_parameter_group_name: o.db_cluster_parameter_group.clone().or_else(|| {
                source
                    .filter(|_| same_family)
                    .and_then(|s| s.cluster_parameter_group.clone())
                    .filter(|g| !g.starts_with("default."))
            }),
            port: source.and_then(|s| s.port),
            deletion_protection: source.and_then(|s| s.deletion_protection),
            enable_iam_database_authentication: source
                .and_then(|s| s.iam_database_authentication)
                .filter(|on| *on),
            enable_cloudwatch_logs_exports: source
                .filter(|_| same_family)
                .map(|s| s.cloudwatch_logs_exports.clone())
                .unwrap_or_default(),
            // Backtracking exists for Aurora MySQL only.
            backtrack_window: source
                .and_then(|s| s.backtrack_window)
                .filter(|w| *w > 0 && aurora_mysql),
            copy_tags_to_snapshot: source.and_then(|s| s.copy_tags_to_snapshot),
            serverless_v2_scaling_configuration: o
                .serverless_v2_capacity
                .map(|c| (c.min, c.max))
                .or_else(|| source.and_then(|s| s.serverless_v2))
                .map(|(min, max)| ServerlessV2Scaling {
                    min_capacity: min,
                    max_capacity: max,
                }),
            tags: Vec::new(),
        },
        engine_version,
        notes,
    })
}

/// Whether engine version `a` is `b` or later, compared part by part
/// (numerically where both parts are numbers: "15.10" is after "15.4").
fn later_or_equal(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<String> { v.split('.').map(str::to_owned).collect() };
    let (a, b) = (parts(a), parts(b));
    for (x, y) in a.iter().zip(&b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != std::cmp::Ordering::Equal {
            return order.is_gt();
        }
    }
    a.len() >= b.len()
}

fn same_family(source: &ClusterFacts, baseline: &Baseline) -> bool {
    match (
        &source.engine,
        &source.engine_version,
        &baseline.engine,
        &baseline.engine_version,
    ) {
        (Some(e1), Some(v1), Some(e2), Some(v2)) => {
            e1 == e2 && major_version(e1, v1) == major_version(e2, v2)
        }
        (_, _, None, _) | (_, _, _, None) => true,
        _ => false,
    }
}

/// The writer's instance class: the event's, else the source writer's, else
/// `db.serverless` for a Serverless v2 cluster (`serverless`: the restored
/// cluster has a capacity range).
pub fn writer_class(
    overrides: &Overrides,
    source_writer: Option<&InstanceFacts>,
    serverless: bool,
) -> Result<String, Error> {
    overrides
        .db_instance_class
        .clone()
        .or_else(|| source_writer.and_then(|w| w.class.clone()))
        .or_else(|| serverless.then(|| SERVERLESS.to_owned()))
        .ok_or_else(|| {
            Error::invalid(
                "db_instance_class",
                "is required: there is no source writer here to copy the writer's class from \
                 (e.g. db.r6g.large, or db.serverless for Aurora Serverless v2)",
            )
        })
}

/// Where the restored cluster's capacity range comes from, for [`capacity_guard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterOrigin<'a> {
    /// Restored by this plan: the event's range or the source cluster's.
    Planned,
    /// Restored by an earlier attempt of this request, named here.
    Existing(&'a str),
}

/// Refuses a `db.serverless` writer for a cluster without a capacity range
/// (`serverless` false). RDS would refuse it only at `CreateDBInstance`,
/// after the cluster exists: a half-done restore.
pub fn capacity_guard(class: &str, serverless: bool, origin: ClusterOrigin) -> Result<(), Error> {
    if class != SERVERLESS || serverless {
        return Ok(());
    }
    Err(match origin {
        ClusterOrigin::Planned => Error::invalid(
            "serverless_v2_capacity",
            "is required for a db.serverless writer when there is no source cluster here to \
             copy the capacity range from: give one, like {\"min\": 0.5, \"max\": 16}, or a \
             provisioned db_instance_class",
        ),
        // A restored cluster's range is not ours to change here; the operator's.
        ClusterOrigin::Existing(cluster) => Error::invalid(
            "db_instance_class",
            format!(
                "db.serverless needs a Serverless v2 capacity range, and cluster '{cluster}' \
                 (restored by an earlier attempt of this request) has none: give it one \
                 (aws rds modify-db-cluster --db-cluster-identifier {cluster} \
                 --serverless-v2-scaling-configuration MinCapacity=0.5,MaxCapacity=16 \
                 --apply-immediately) and invoke again, or give a provisioned db_instance_class"
            ),
        ),
    })
}

/// The writer's DB parameter group: the event's, else the source writer's
/// custom one when the engine family is the same.
pub fn writer_parameter_group(
    overrides: &Overrides,
    source_writer: Option<&InstanceFacts>,
    same_family: bool,
) -> Option<String> {
    overrides.db_parameter_group.clone().or_else(|| {
        source_writer
            .filter(|_| same_family)
            .and_then(|w| w.parameter_group.clone())
            .filter(|g| !g.starts_with("default."))
    })
}

/// Whether the source cluster's groups fit a restore onto `baseline`.
pub fn fits(source: Option<&ClusterFacts>, baseline: &Baseline) -> bool {
    source.is_some_and(|s| same_family(s, baseline))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::restore::request::Capacity;

    fn source() -> ClusterFacts {
        ClusterFacts {
            id: "orders".into(),
            status: "available".into(),
            engine: Some("aurora-postgresql".into()),
            engine_version: Some("15.4".into()),
            port: Some(5432),
            subnet_group: Some("orders-subnets".into()),
            security_groups: vec!["sg-0aaaaaaaaaaaaaaa1".into()],
            cluster_parameter_group: Some("orders-cluster-pg".into()),
            deletion_protection: Some(true),
            iam_database_authentication: Some(true),
            cloudwatch_logs_exports: vec!["postgresql".into()],
            backtrack_window: Some(3600),
            copy_tags_to_snapshot: Some(true),
            serverless_v2: Some((0.5, 16.0)),
            writer: Some("orders-1".into()),
            ..ClusterFacts::default()
        }
    }

    fn baseline(engine: &str, version: &str) -> Baseline {
        Baseline {
            engine: Some(engine.into()),
            engine_version: Some(version.into()),
            ..Baseline::default()
        }
    }

    #[test]
    fn a_cluster_restore_copies_the_source_clusters_settings() {
        let settled = settings(
            &Overrides::default(),
            &baseline("aurora-postgresql", "15.2"),
            Some(&source()),
            "us-east-1",
        )
        .unwrap();
        let s = settled.settings;
        assert_eq!(settled.engine_version.as_deref(), Some("15.4"));
        assert_eq!(s.db_subnet_group_name.as_deref(), Some("orders-subnets"));
        assert_eq!(s.vpc_security_group_ids, ["sg-0aaaaaaaaaaaaaaa1"]);
        assert_eq!(
            s.db_cluster_parameter_group_name.as_deref(),
            Some("orders-cluster-pg")
        );
        assert_eq!(s.port, Some(5432));
        assert_eq!(s.deletion_protection, Some(true));
        assert_eq!(s.enable_iam_database_authentication, Some(true));
        assert_eq!(s.enable_cloudwatch_logs_exports, ["postgresql"]);
        assert_eq!(s.copy_tags_to_snapshot, Some(true));
        assert_eq!(
            s.serverless_v2_scaling_configuration,
            Some(ServerlessV2Scaling {
                min_capacity: 0.5,
                max_capacity: 16.0
            })
        );
        // Backtracking is Aurora MySQL's alone.
        assert_eq!(s.backtrack_window, None);
    }

    #[test]
    fn a_snapshot_of_another_major_restores_its_own_version_without_the_sources_groups() {
        let settled = settings(
            &Overrides::default(),
            &baseline("aurora-postgresql", "14.9"),
            Some(&source()),
            "us-east-1",
        )
        .unwrap();
        assert_eq!(settled.engine_version.as_deref(), Some("14.9"));
        assert_eq!(settled.settings.db_cluster_parameter_group_name, None);
        assert!(settled.settings.enable_cloudwatch_logs_exports.is_empty());
        assert_eq!(settled.notes.len(), 1);
    }

    #[test]
    fn a_source_on_an_earlier_minor_than_its_snapshot_restores_the_snapshots_version() {
        let mut src = source();
        src.engine_version = Some("15.4".into());
        let settled = settings(
            &Overrides::default(),
            &baseline("aurora-postgresql", "15.10"),
            Some(&src),
            "us-east-1",
        )
        .unwrap();
        assert_eq!(settled.engine_version.as_deref(), Some("15.10"));
    }

    #[test]
    fn without_a_source_cluster_the_snapshots_version_is_sent() {
        let overrides = Overrides {
            db_subnet_group: Some("dr-subnets".into()),
            ..Overrides::default()
        };
        let settled = settings(
            &overrides,
            &baseline("aurora-postgresql", "15.4"),
            None,
            "us-west-2",
        )
        .unwrap();
        assert_eq!(settled.engine_version.as_deref(), Some("15.4"));
    }

    #[test]
    fn aurora_mysql_keeps_its_backtrack_window() {
        let mut src = source();
        src.engine = Some("aurora-mysql".into());
        src.engine_version = Some("8.0.mysql_aurora.3.05.2".into());
        let settled = settings(
            &Overrides::default(),
            &baseline("aurora-mysql", "8.0.mysql_aurora.3.04.0"),
            Some(&src),
            "us-east-1",
        )
        .unwrap();
        assert_eq!(settled.settings.backtrack_window, Some(3600));
    }

    #[test]
    fn without_a_source_cluster_or_a_subnet_group_the_default_vpc_is_refused() {
        let err = settings(
            &Overrides::default(),
            &baseline("aurora-postgresql", "15.4"),
            None,
            "us-west-2",
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "db_subnet_group: is required when the source cluster is not in us-west-2"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_serverless_v2_writer_is_db_serverless_unless_the_event_says() {
        assert_eq!(
            writer_class(&Overrides::default(), None, true).unwrap(),
            SERVERLESS
        );
        let overrides = Overrides {
            db_instance_class: Some("db.r6g.large".into()),
            ..Overrides::default()
        };
        assert_eq!(
            writer_class(&overrides, None, true).unwrap(),
            "db.r6g.large"
        );
    }

    #[test]
    fn the_events_capacity_range_wins_over_the_source_clusters() {
        let overrides = Overrides {
            serverless_v2_capacity: Some(Capacity {
                min: 2.0,
                max: 64.0,
            }),
            ..Overrides::default()
        };
        let settled = settings(
            &overrides,
            &baseline("aurora-postgresql", "15.4"),
            Some(&source()),
            "us-east-1",
        )
        .unwrap();
        assert_eq!(
            settled.settings.serverless_v2_scaling_configuration,
            Some(ServerlessV2Scaling {
                min_capacity: 2.0,
                max_capacity: 64.0
            })
        );
    }

    #[test]
    fn a_db_serverless_writer_without_a_capacity_range_is_refused() {
        let err = capacity_guard(SERVERLESS, false, ClusterOrigin::Planned).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("serverless_v2_capacity: is required for a db.serverless writer"),
            "{err}"
        );
    }

    #[test]
    fn a_resumed_cluster_without_a_capacity_range_says_how_to_give_it_one() {
        let err =
            capacity_guard(SERVERLESS, false, ClusterOrigin::Existing("orders-dr")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("db_instance_class: db.serverless needs a Serverless v2 capacity range, and cluster 'orders-dr'"),
            "{text}"
        );
        assert!(
            text.contains("aws rds modify-db-cluster --db-cluster-identifier orders-dr"),
            "{text}"
        );
    }

    #[test]
    fn a_provisioned_writer_or_a_cluster_with_a_range_passes_the_capacity_guard() {
        assert!(matches!(
            capacity_guard("db.r6g.large", false, ClusterOrigin::Planned),
            Ok(())
        ));
        assert!(matches!(
            capacity_guard(SERVERLESS, true, ClusterOrigin::Existing("orders-dr")),
            Ok(())
        ));
    }

    #[test]
    fn a_writer_class_with_nothing_to_copy_from_is_required() {
        let err = writer_class(&Overrides::default(), None, false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("db_instance_class: is required"),
            "{err}"
        );
    }
}
