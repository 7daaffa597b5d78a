//! Which of the source's settings a restore may carry over, by the rules real
//! RDS enforces (and moto does not): storage performance that fits the
//! snapshot's size, groups of the snapshot's engine family, never public by
//! accident. Pure: every rule is unit-tested here.

use super::facts::{Baseline, InstanceFacts};
use super::request::Overrides;
use super::step::InstanceSettings;
use crate::error::Error;

/// Refuses a restore whose network would be wrong, before any call: without a
/// source (`instance` or `cluster`) here to copy the network from, the event
/// must name a DB subnet group, or RDS would use the region's default VPC,
/// which is public when it has an internet gateway; and with a subnet group
/// other than the source's, the source's security groups (of its own VPC)
/// cannot follow, so the event must name groups.
pub fn network_guard(
    overrides: &Overrides,
    source: Option<(Option<&str>, &[String])>,
    kind: &str,
    region: &str,
) -> Result<(), Error> {
    let o = overrides;
    if source.is_none() && o.db_subnet_group.is_none() {
        return Err(Error::invalid(
            "db_subnet_group",
            format!(
                "is required when the source {kind} is not in {region}: there are no network settings \
                 to copy, and without a subnet group RDS would restore into the default VPC, which is \
                 public when it has an internet gateway. Name the recovery VPC's DB subnet group \
                 (and vpc_security_group_ids)"
            ),
        ));
    }
    if let (Some(chosen), Some((subnet_group, security_groups)), None) =
        (&o.db_subnet_group, source, &o.vpc_security_group_ids)
        && subnet_group != Some(chosen.as_str())
        && !security_groups.is_empty()
    {
        return Err(Error::invalid(
            "vpc_security_group_ids",
            format!(
                "is required with db_subnet_group '{chosen}', which is not the source {kind}'s ({}): \
                 its security groups belong to its own VPC. Name groups of the subnet group's VPC",
                subnet_group.unwrap_or("none")
            ),
        ));
    }
    Ok(())
}

/// The settings of a new instance, and what was not carried over and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub settings: InstanceSettings,
    /// One line per source setting left to RDS, for the result's `notes`.
    pub notes: Vec<String>,
}

/// The settings of an instance restored onto `baseline` (the snapshot's or
/// backup's engine and storage): the source's where RDS accepts them, the
/// event's overrides on top. `region` names where the instance lands, for
/// messages.
///
/// Without a source to copy the network from, the event must name a DB subnet
/// group: RDS would otherwise use the region's default VPC, which is public
/// when it has an internet gateway.
pub fn instance(
    overrides: &Overrides,
    baseline: &Baseline,
    source: Option<&InstanceFacts>,
    region: &str,
) -> Result<Settled, Error> {
    let o = overrides;
    network_guard(
        o,
        source.map(|s| (s.subnet_group.as_deref(), s.security_groups.as_slice())),
        "instance",
        region,
    )?;
    let mut notes = Vec::new();
    let same_family = source.is_some_and(|s| same_engine_family(s, baseline));
    let group = |event: &Option<String>,
                 of_source: Option<&String>,
                 default_prefix: &str,
                 what: &str,
                 field: &str,
                 notes: &mut Vec<String>| {
        if event.is_some() {
            return event.clone();
        }
        // Default groups are never copied: RDS picks the default of the
        // snapshot's own engine version, which is what the source's default
        // stands for.
        let custom = of_source.filter(|g| !g.starts_with(default_prefix))?;
        if same_family {
            return Some(custom.clone());
        }
        notes.push(format!(
            "{what} '{custom}' of the source is for {}, the snapshot is {}: left to RDS (the default \
             group of the snapshot's engine version); pass {field} to choose one",
            engine_label(source.and_then(|s| s.engine.as_deref()), source.and_then(|s| s.engine_version.as_deref())),
            engine_label(baseline.engine.as_deref(), baseline.engine_version.as_deref()),
        ));
        None
    };
    let db_parameter_group_name = group(
        &o.db_parameter_group,
        source.and_then(|s| s.parameter_group.as_ref()),
        "default.",
        "parameter group",
        "db_parameter_group",
        &mut notes,
    );
    let option_group_name = group(
        &o.option_group,
        source.and_then(|s| s.option_group.as_ref()),
        "default:",
        "option group",
        "option_group",
        &mut notes,
    );
    let storage = source
        .map(|s| storage(s, baseline, &mut notes))
        .unwrap_or_default();
    let copy = |f: fn(&InstanceFacts) -> Option<String>| source.and_then(f);
    Ok(Settled {
        settings: InstanceSettings {
            db_instance_class: o
                .db_instance_class
                .clone()
                .or_else(|| copy(|s| s.class.clone())),
            db_subnet_group_name: o
                .db_subnet_group
                .clone()
                .or_else(|| copy(|s| s.subnet_group.clone())),
            vpc_security_group_ids: o.vpc_security_group_ids.clone().unwrap_or_else(|| {
                source
                    .map(|s| s.security_groups.clone())
                    .unwrap_or_default()
            }),
            db_parameter_group_name,
            option_group_name,
            multi_az: o.multi_az.or_else(|| source.and_then(|s| s.multi_az)),
            storage_type: storage.storage_type,
            iops: storage.iops,
            storage_throughput: storage.storage_throughput,
            deletion_protection: source.and_then(|s| s.deletion_protection),
            // Never public unless the source was, or the event says so.
            publicly_accessible: Some(
                o.publicly_accessible
                    .or_else(|| source.and_then(|s| s.publicly_accessible))
                    .unwrap_or(false),
            ),
            port: source.and_then(|s| s.port),
            enable_iam_database_authentication: source
                .and_then(|s| s.iam_database_authentication)
                .filter(|on| *on),
            copy_tags_to_snapshot: source.and_then(|s| s.copy_tags_to_snapshot),
            enable_cloudwatch_logs_exports: source
                .filter(|_| same_family)
                .map(|s| s.cloudwatch_logs_exports.clone())
                .unwrap_or_default(),
            // rds-ca-2019 expired in 2024: a new instance must not get it.
            ca_certificate_identifier: copy(|s| {
                s.ca_certificate.clone().filter(|ca| ca != "rds-ca-2019")
            }),
            backup_retention_period: source.and_then(|s| s.backup_retention_period),
            // A backup window means nothing (and may be refused) without backups.
            preferred_backup_window: copy(|s| {
                s.preferred_backup_window
                    .clone()
                    .filter(|_| s.backup_retention_period.unwrap_or(0) > 0)
            }),
            tags: Vec::new(),
        },
        notes,
    })
}

fn engine_label(engine: Option<&str>, version: Option<&str>) -> String {
    format!(
        "{} {}",
        engine.unwrap_or("an unknown engine"),
        version.unwrap_or("")
    )
    .trim_end()
    .to_owned()
}

/// Whether the source's groups and log types fit the snapshot: same engine,
/// same major version (a source upgraded after the snapshot does not).
fn same_engine_family(source: &InstanceFacts, snapshot: &Baseline) -> bool {
    match (
        &source.engine,
        &source.engine_version,
        &snapshot.engine,
        &snapshot.engine_version,
    ) {
        (Some(e1), Some(v1), Some(e2), Some(v2)) => {
            e1 == e2 && major_version(e1, v1) == major_version(e2, v2)
        }
        // A snapshot that does not say is trusted to be the source's: the
        // restore fails loudly if not, and nothing is lost.
        (_, _, None, _) | (_, _, _, None) => true,
        _ => false,
    }
}

/// The part of an engine version that names its parameter-group family:
/// `15` of PostgreSQL 15.4 (`9.6` of 9.6.24), `8.0` of MySQL 8.0.35, `19` of
/// Oracle 19.0.0.0.ru-..., `15.00` of SQL Server 15.00.4073.23.v1.
pub fn major_version<'a>(engine: &str, version: &'a str) -> &'a str {
    let parts = if engine.starts_with("oracle") {
        1
    } else if engine == "postgres" || engine == "aurora-postgresql" {
        match version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
        {
            Some(major) if major >= 10 => 1,
            _ => 2,
        }
    } else {
        2
    };
    match version.match_indices('.').nth(parts - 1) {
        Some((at, _)) => &version[..at],
        None => version,
    }
}

#[derive(Debug, Default, PartialEq)]
struct Storage {
    storage_type: Option<String>,
    iops: Option<i32>,
    storage_throughput: Option<i32>,
}

/// The source's storage type, IOPS and throughput, sent only where they
/// differ from the snapshot's own and RDS accepts them for the snapshot's
/// allocated storage; otherwise left to the snapshot, with a note.
fn storage(source: &InstanceFacts, snapshot: &Baseline, notes: &mut Vec<String>) -> Storage {
    let Some(wanted) = source.storage_type.clone() else {
        return Storage::default();
    };
    let same_type = snapshot.storage_type.as_ref() == Some(&wanted);
    if same_type
        && snapshot.iops == source.iops
        && snapshot.storage_throughput == source.storage_throughput
    {
        return Storage::default();
    }
    let engine = snapshot
        .engine
        .as_deref()
        .or(source.engine.as_deref())
        .unwrap_or_default();
    let Some(gib) = snapshot.allocated_storage.filter(|g| *g > 0) else {
        // Without the snapshot's size nothing can be checked: leave it all to the snapshot.
        return Storage::default();
    };
    let mut note = |why: String| {
        notes.push(format!(
            "storage {wanted} of the source (IOPS {}, throughput {}) {why}: left to the snapshot's own",
            show(source.iops),
            show(source.storage_throughput)
        ))
    };
    let differs = |a: Option<i32>, b: Option<i32>| (a != b || !same_type).then_some(a).flatten();
    match storage_rule(engine, &wanted, gib) {
        Rule::NoProvisioning => {
            // gp3 below its threshold reports a baseline of 3000 IOPS, which
            // RDS refuses to be given; more than that cannot be carried over.
            if source.iops.is_some_and(|i| i > 3000) {
                note(format!("cannot be provisioned at the snapshot's {gib} GiB"));
            }
            Storage {
                storage_type: (!same_type).then_some(wanted),
                iops: None,
                storage_throughput: None,
            }
        }
        Rule::Provisioned {
            iops,
            throughput,
            ratio,
            min_gib,
        } => {
            // A range of None: the type takes no such value, whatever the
            // source reports (io1/io2 may report a throughput), so it is not sent.
            let fits = |v: Option<i32>, range: Option<(i32, i32)>| match (v, range) {
                (None, _) | (_, None) => true,
                (Some(v), Some((lo, hi))) => (lo..=hi).contains(&v),
            };
            let ratio_ok = source.iops.is_none_or(|i| {
                let per_gib = f64::from(i) / f64::from(gib);
                per_gib >= ratio.0 && per_gib <= ratio.1
            });
            let needs_iops = wanted.starts_with("io");
            if !fits(source.iops, iops)
                || !fits(source.storage_throughput, throughput)
                || !ratio_ok
                || gib < min_gib
                || (needs_iops && source.iops.is_none())
            {
                note(format!("does not fit the snapshot's {gib} GiB"));
                return Storage::default();
            }
            if source
                .storage_throughput
                .zip(source.iops)
                .is_some_and(|(t, i)| f64::from(t) > 0.25 * f64::from(i))
            {
                note("exceeds RDS's ratio of 0.25 MiB/s per IOPS".to_owned());
                return Storage::default();
            }
            Storage {
                storage_type: (!same_type).then_some(wanted),
                iops: differs(source.iops, snapshot.iops),
                storage_throughput: throughput.and(differs(
                    source.storage_throughput,
                    snapshot.storage_throughput,
                )),
            }
        }
        Rule::Unknown => {
            note(format!(
                "is a type dr-lambdas cannot check for {engine} at {gib} GiB"
            ));
            Storage::default()
        }
    }
}

fn show(v: Option<i32>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// What RDS accepts for a storage type at a size (RDS User Guide, "Amazon RDS
/// DB instance storage").
#[derive(Debug, PartialEq)]
enum Rule {
    /// No IOPS or throughput may be given (gp2, magnetic, gp3 below its threshold).
    NoProvisioning,
    /// IOPS and throughput within these ranges (`None`: may not be given),
    /// IOPS per GiB within `ratio`, on at least `min_gib` of storage.
    Provisioned {
        iops: Option<(i32, i32)>,
        throughput: Option<(i32, i32)>,
        ratio: (f64, f64),
        min_gib: i32,
    },
    Unknown,
}

fn storage_rule(engine: &str, storage_type: &str, gib: i32) -> Rule {
    let sql_server = engine.starts_with("sqlserver");
    match storage_type {
        "gp2" | "standard" => Rule::NoProvisioning,
        "gp3" if sql_server => Rule::Provisioned {
            iops: Some((3000, 16000)),
            throughput: Some((125, 1000)),
            ratio: (0.5, 500.0),
            min_gib: 20,
        },
        "gp3" => {
            // Below the threshold gp3 has a fixed baseline of 3000 IOPS and
            // 125 MiB/s, and RDS refuses an explicit value.
            let threshold = if engine.starts_with("oracle") {
                200
            } else {
                400
            };
            if gib < threshold {
                Rule::NoProvisioning
            } else {
                Rule::Provisioned {
                    iops: Some((12000, 64000)),
                    throughput: Some((500, 4000)),
                    ratio: (0.0, 500.0),
                    min_gib: threshold,
                }
            }
        }
        // Provisioned IOPS storage starts at 100 GiB (SQL Server: 20 GiB).
        "io1" => Rule::Provisioned {
            iops: Some((1000, if sql_server { 64000 } else { 256_000 })),
            throughput: None,
            ratio: (if sql_server { 1.0 } else { 0.5 }, 50.0),
            min_gib: if sql_server { 20 } else { 100 },
        },
        "io2" => Rule::Provisioned {
            iops: Some((1000, 256_000)),
            throughput: None,
            ratio: (0.5, 1000.0),
            min_gib: if sql_server { 20 } else { 100 },
        },
        _ => Rule::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(engine: &str, version: &str, storage_type: &str, gib: i32) -> Baseline {
        Baseline {
            engine: Some(engine.into()),
            engine_version: Some(version.into()),
            allocated_storage: Some(gib),
            storage_type: Some(storage_type.into()),
            ..Baseline::default()
        }
    }

    fn source(engine: &str, version: &str) -> InstanceFacts {
        InstanceFacts {
            id: "orders".into(),
            status: "available".into(),
            engine: Some(engine.into()),
            engine_version: Some(version.into()),
            subnet_group: Some("orders-subnets".into()),
            parameter_group: Some("orders-pg".into()),
            option_group: Some("orders-og".into()),
            ..InstanceFacts::default()
        }
    }

    fn with_storage(
        mut s: InstanceFacts,
        t: &str,
        iops: Option<i32>,
        tp: Option<i32>,
    ) -> InstanceFacts {
        s.storage_type = Some(t.into());
        s.iops = iops;
        s.storage_throughput = tp;
        s
    }

    fn settle(snap: &Baseline, src: &InstanceFacts) -> Settled {
        instance(&Overrides::default(), snap, Some(src), "us-west-2").unwrap()
    }

    #[test]
    fn major_versions_follow_each_engines_family_naming() {
        assert_eq!(major_version("postgres", "15.4"), "15");
        assert_eq!(major_version("postgres", "9.6.24"), "9.6");
        assert_eq!(major_version("mysql", "8.0.35"), "8.0");
        assert_eq!(major_version("mariadb", "10.6.14"), "10.6");
        assert_eq!(
            major_version("oracle-ee", "19.0.0.0.ru-2024-01.rur-2024-01.r1"),
            "19"
        );
        assert_eq!(major_version("sqlserver-se", "15.00.4073.23.v1"), "15.00");
        assert_eq!(major_version("postgres", "16"), "16");
    }

    #[test]
    fn gp3_iops_below_400_gib_are_not_sent() {
        // The source reports gp3's baseline (3000 IOPS, 125 MiB/s) like the
        // snapshot does; RDS refuses them given explicitly below 400 GiB.
        let src = with_storage(source("postgres", "15.4"), "gp3", Some(3000), Some(125));
        let mut snap = snapshot("postgres", "15.4", "gp3", 100);
        snap.iops = Some(3000);
        snap.storage_throughput = Some(125);
        let s = settle(&snap, &src).settings;
        assert_eq!(
            (s.storage_type, s.iops, s.storage_throughput),
            (None, None, None)
        );
    }

    #[test]
    fn gp3_iops_below_the_threshold_are_not_sent_even_when_they_differ() {
        let src = with_storage(source("postgres", "15.4"), "gp3", Some(12000), Some(500));
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let s = settle(&snap, &src).settings;
        assert_eq!(
            (s.storage_type.as_deref(), s.iops, s.storage_throughput),
            (Some("gp3"), None, None)
        );
    }

    #[test]
    fn gp3_iops_at_400_gib_and_more_are_sent_when_they_differ() {
        let src = with_storage(source("postgres", "15.4"), "gp3", Some(20000), Some(1000));
        let mut snap = snapshot("postgres", "15.4", "gp3", 500);
        snap.iops = Some(12000);
        snap.storage_throughput = Some(500);
        let s = settle(&snap, &src).settings;
        assert_eq!(
            (s.storage_type, s.iops, s.storage_throughput),
            (None, Some(20000), Some(1000))
        );
    }

    #[test]
    fn oracle_gp3_provisions_from_200_gib() {
        let src = with_storage(
            source("oracle-ee", "19.0.0.0.ru-2024-01"),
            "gp3",
            Some(15000),
            Some(600),
        );
        let snap = snapshot("oracle-ee", "19.0.0.0.ru-2024-01", "gp3", 250);
        let s = settle(&snap, &src).settings;
        assert_eq!((s.iops, s.storage_throughput), (Some(15000), Some(600)));
    }

    #[test]
    fn io1_iops_beyond_50_per_gib_are_left_to_the_snapshot_with_a_note() {
        let src = with_storage(source("postgres", "15.4"), "io1", Some(10000), None);
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let settled = settle(&snap, &src);
        assert_eq!(settled.settings.storage_type, None);
        assert_eq!(settled.settings.iops, None);
        assert_eq!(
            settled.notes,
            [
                "storage io1 of the source (IOPS 10000, throughput none) does not fit the snapshot's 100 GiB: \
              left to the snapshot's own"
            ]
        );
    }

    #[test]
    fn io1_iops_within_the_ratio_are_sent_with_the_type() {
        let src = with_storage(source("postgres", "15.4"), "io1", Some(3000), None);
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let s = settle(&snap, &src).settings;
        assert_eq!(
            (s.storage_type.as_deref(), s.iops),
            (Some("io1"), Some(3000))
        );
    }

    #[test]
    fn io1_on_less_than_100_gib_is_left_to_the_snapshot() {
        let src = with_storage(source("postgres", "15.4"), "io1", Some(1000), None);
        let snap = snapshot("postgres", "15.4", "gp2", 20);
        let settled = settle(&snap, &src);
        assert_eq!(settled.settings.storage_type, None);
        assert_eq!(settled.settings.iops, None);
        assert_eq!(settled.notes.len(), 1);
    }

    #[test]
    fn a_throughput_reported_for_io1_is_neither_sent_nor_a_reason_to_drop_io1() {
        let src = with_storage(source("postgres", "15.4"), "io1", Some(3000), Some(125));
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let s = settle(&snap, &src).settings;
        assert_eq!(
            (s.storage_type.as_deref(), s.iops, s.storage_throughput),
            (Some("io1"), Some(3000), None)
        );
    }

    #[test]
    fn another_subnet_group_without_security_groups_is_refused() {
        let mut src = source("postgres", "15.4");
        src.security_groups = vec!["sg-0aaaaaaaaaaaaaaa1".into()];
        let overrides = Overrides {
            db_subnet_group: Some("dr-subnets".into()),
            ..Overrides::default()
        };
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let err = instance(&overrides, &snap, Some(&src), "us-east-1").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "vpc_security_group_ids: is required with db_subnet_group 'dr-subnets'"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_backup_window_without_backups_and_an_expired_ca_are_not_copied() {
        let mut src = source("postgres", "15.4");
        src.backup_retention_period = Some(0);
        src.preferred_backup_window = Some("03:00-04:00".into());
        src.ca_certificate = Some("rds-ca-2019".into());
        let s = settle(&snapshot("postgres", "15.4", "gp2", 100), &src).settings;
        assert_eq!(s.preferred_backup_window, None);
        assert_eq!(s.ca_certificate_identifier, None);
    }

    #[test]
    fn custom_groups_of_another_major_version_are_left_to_rds_with_a_note() {
        let src = source("postgres", "16.2");
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let settled = settle(&snap, &src);
        assert_eq!(settled.settings.db_parameter_group_name, None);
        assert_eq!(settled.settings.option_group_name, None);
        assert_eq!(
            settled.notes[0],
            "parameter group 'orders-pg' of the source is for postgres 16.2, the snapshot is postgres 15.4: \
             left to RDS (the default group of the snapshot's engine version); pass db_parameter_group to choose one"
        );
    }

    #[test]
    fn custom_groups_of_the_same_major_version_are_copied() {
        let src = source("postgres", "15.6");
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let s = settle(&snap, &src).settings;
        assert_eq!(s.db_parameter_group_name.as_deref(), Some("orders-pg"));
        assert_eq!(s.option_group_name.as_deref(), Some("orders-og"));
    }

    #[test]
    fn a_restore_is_private_unless_the_source_or_the_event_says_public() {
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let private = settle(&snap, &source("postgres", "15.4")).settings;
        assert_eq!(private.publicly_accessible, Some(false));
        let mut public_source = source("postgres", "15.4");
        public_source.publicly_accessible = Some(true);
        assert_eq!(
            settle(&snap, &public_source).settings.publicly_accessible,
            Some(true)
        );
        let overrides = Overrides {
            publicly_accessible: Some(true),
            db_subnet_group: Some("dr-subnets".into()),
            ..Overrides::default()
        };
        let by_event = instance(&overrides, &snap, None, "us-west-2").unwrap();
        assert_eq!(by_event.settings.publicly_accessible, Some(true));
    }

    #[test]
    fn without_a_source_or_a_subnet_group_the_default_vpc_is_refused() {
        let snap = snapshot("postgres", "15.4", "gp2", 100);
        let err = instance(&Overrides::default(), &snap, None, "us-west-2").unwrap_err();
        assert_eq!(err.name(), "InvalidRequest");
        assert!(
            err.to_string().starts_with(
                "db_subnet_group: is required when the source instance is not in us-west-2"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_settings_a_restore_resets_are_copied_from_the_source() {
        let mut src = source("postgres", "15.4");
        src.port = Some(6432);
        src.iam_database_authentication = Some(true);
        src.copy_tags_to_snapshot = Some(true);
        src.cloudwatch_logs_exports = vec!["postgresql".into()];
        src.ca_certificate = Some("rds-ca-rsa2048-g1".into());
        src.backup_retention_period = Some(14);
        src.preferred_backup_window = Some("03:00-04:00".into());
        let s = settle(&snapshot("postgres", "15.4", "gp2", 100), &src).settings;
        assert_eq!(s.port, Some(6432));
        assert_eq!(s.enable_iam_database_authentication, Some(true));
        assert_eq!(s.copy_tags_to_snapshot, Some(true));
        assert_eq!(s.enable_cloudwatch_logs_exports, ["postgresql"]);
        assert_eq!(
            s.ca_certificate_identifier.as_deref(),
            Some("rds-ca-rsa2048-g1")
        );
        assert_eq!(s.backup_retention_period, Some(14));
        assert_eq!(s.preferred_backup_window.as_deref(), Some("03:00-04:00"));
    }
}
