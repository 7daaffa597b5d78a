//! The pure core of the readiness check: from what the dry runs answered
//! and the reads found, to named checks. Nothing here calls AWS.

use serde::Serialize;

use crate::error::{Error, Fault};
use crate::failover::{FailoverResult, FailoverStatus};
use crate::restore::RestoreResult;
use crate::restore::request::Source;
use crate::restore::status::RestoreStatus;
use crate::restore::step::Step;

/// One check: a stable name, whether it passed, what was found, and, when it
/// failed, what to do and whose fix it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The check's stable name (`docs/readiness.md` lists them).
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
    /// `null` when the check passed, unless it passed with a warning.
    pub fix: Option<String>,
    /// Passed, but something wants a person's look (`fix` says what): it
    /// does not set `Ready` to 0.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
}

impl Check {
    /// A check that passed.
    pub fn pass(check: &'static str, detail: impl Into<String>) -> Self {
        Check {
            check,
            ok: true,
            detail: detail.into(),
            fix: None,
            warning: false,
        }
    }

    /// A check that passed with a warning: `fix` says what to look at.
    pub fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            check,
            ok: true,
            detail: detail.into(),
            fix: Some(fix.into()),
            warning: true,
        }
    }

    /// A check that failed, with what to do.
    pub fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            check,
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
            warning: false,
        }
    }

    /// A check that failed on an error: a refusal of a dry run, or an AWS
    /// error while reading (throttled, access denied): the error's name
    /// leads the detail, and its fault says whose fix it is.
    pub fn error(check: &'static str, error: &Error) -> Self {
        Check::fail(
            check,
            format!("{}: {error}", error.name()),
            whose(error.contract().fault),
        )
    }
}

/// Whose move a fault is, for a check's `fix`.
pub fn whose(fault: Fault) -> &'static str {
    match fault {
        Fault::Event => {
            "Correct the readiness input (the schedule's ReadinessInput): the deployer's fix."
        }
        Fault::Configuration => {
            "Fix the function's configuration or role through a deploy: the deployer's fix."
        }
        Fault::Resources => {
            "Create or repair the resource the detail names: the database or network owner's fix."
        }
        Fault::Transient => {
            "Nothing, if it passes next time: AWS did not answer usefully; the next scheduled check \
             reads again."
        }
        Fault::Internal => "Report the detail as a dr-lambdas bug.",
    }
}

/// The stable name of the check a restore's dry run stands for: what kind
/// of source a recovery now would restore.
pub fn source_check(source: &Source) -> &'static str {
    match source {
        Source::Named { .. } => "named_snapshot",
        Source::Latest { .. } => "latest_snapshot",
        Source::PointInTime { .. } => "point_in_time",
        Source::Standby { .. } => "standby",
    }
}

/// The restore's dry run: what a recovery now would restore from.
pub fn restore_source(name: &'static str, result: &RestoreResult) -> Check {
    if result.status != RestoreStatus::DryRun {
        // A replay of an earlier restore answers instead of a plan: the
        // target name check says why.
        return Check::fail(
            name,
            format!(
                "no plan: '{}' exists in {} as an earlier restore of the same request ({})",
                result.instance_id,
                result.region,
                result.status.as_str()
            ),
            "Delete or rename that database, or change the readiness input's name: the \
             database owner's fix.",
        );
    }
    let from = match (&result.snapshot_id, &result.recovery_point) {
        (Some(snapshot), Some(point)) => format!("snapshot '{snapshot}', taken {point}"),
        (Some(snapshot), None) => format!("snapshot '{snapshot}'"),
        (None, Some(point)) => format!("a point in time, {point}"),
        (None, None) => "a point in time RDS did not report".to_owned(),
    };
    Check::pass(
        name,
        format!(
            "a restore into '{}' in {} would start now, from {from}",
            result.instance_id, result.region
        ),
    )
}

/// A standby's promotion dry run: it is still a standby, and would be
/// promoted now with the plan's call.
pub fn standby(result: &RestoreResult) -> Check {
    if result.status != RestoreStatus::DryRun {
        return Check::fail(
            "standby",
            format!(
                "'{}' in {} is no longer a standby: it was promoted by dr-lambdas ({})",
                result.cluster_id.as_deref().unwrap_or(&result.instance_id),
                result.region,
                result.status.as_str()
            ),
            "Set up a new standby (a read replica, or a global secondary) and name it in the \
             readiness input: the database owner's fix.",
        );
    }
    let call = result
        .plan
        .as_ref()
        .and_then(|steps| steps.first())
        .map_or("nothing", |s| s.operation());
    let lag = match result.lag_seconds {
        Some(s) => format!("{s} s behind"),
        None => "lag unknown".to_owned(),
    };
    Check::pass(
        "standby",
        format!(
            "'{}' in {} would be promoted now with {call} ({lag})",
            result.cluster_id.as_deref().unwrap_or(&result.instance_id),
            result.region
        ),
    )
}

/// No earlier drill of this restore left a database behind (an execution
/// time-out can skip its cleanup), judged at `now` (epoch seconds) as the
/// next drill's sweep will judge it (`drill::plan::sweep_verdicts`, given
/// what the production records point at):
/// - a copy younger than a drill can run is a drill in progress: passed;
/// - one the sweep keeps (a production record points at it, it is
///   protected, or the records cannot be read) is a warning, which does not
///   set `Ready` to 0: a person decides;
/// - one the sweep will delete is a leftover: failed, until then.
pub fn drill_leftovers(
    region: &str,
    found: &[crate::drill::cleanup::Leftover],
    now: i64,
    production: &Result<Vec<(String, String)>, String>,
) -> Check {
    use crate::drill::plan::Verdict;
    let verdicts = crate::drill::plan::sweep_verdicts(found, now, production);
    let name = |l: &crate::drill::cleanup::Leftover| format!("{} '{}'", l.kind, l.id);
    let (mut in_progress, mut kept, mut doomed) = (Vec::new(), Vec::new(), Vec::new());
    for (leftover, verdict) in verdicts {
        match verdict {
            Verdict::InProgress => in_progress.push(name(leftover)),
            Verdict::Keep(reason) => kept.push(format!("{}: {reason}", name(leftover))),
            Verdict::Delete => doomed.push(name(leftover)),
        }
    }
    if !doomed.is_empty() {
        return Check::fail(
            "drill_leftovers",
            format!(
                "drills left {} in {region}: {} (each costs a running database)",
                if doomed.len() == 1 {
                    "a database"
                } else {
                    "databases"
                },
                doomed.join(", ")
            ),
            "The next drill deletes them before it starts; or delete them now (aws rds \
             delete-db-instance --skip-final-snapshot ...): the database owner's fix.",
        );
    }
    if !kept.is_empty() {
        return Check::warn(
            "drill_leftovers",
            format!(
                "drill copies in {region} that no drill will delete: {}",
                kept.join("; ")
            ),
            "Keep it for good by removing its dr-lambdas:drill tag (aws rds \
             remove-tags-from-resource ... --tag-keys dr-lambdas:drill), or delete it (aws rds \
             modify-db-instance ... --no-deletion-protection, then delete-db-instance): the \
             database owner's choice.",
        );
    }
    if !in_progress.is_empty() {
        return Check::pass(
            "drill_leftovers",
            format!("drill in progress in {region}: {}", in_progress.join(", ")),
        );
    }
    Check::pass(
        "drill_leftovers",
        format!("no drill of this restore left a database in {region}"),
    )
}

/// The target's names are free: a recovery would create, not replay or be
/// refused. `taken` lists `(kind, id)` of what exists under them.
pub fn target_free(region: &str, names: &[&str], taken: &[(&'static str, String)]) -> Check {
    match taken {
        [] => Check::pass(
            "target_name_free",
            format!("{} free in {region}", names.join(" and ")),
        ),
        _ => Check::fail(
            "target_name_free",
            format!(
                "{} already exist{} in {region}: a recovery would replay it or be refused",
                taken
                    .iter()
                    .map(|(kind, id)| format!("{kind} '{id}'"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                if taken.len() == 1 { "s" } else { "" }
            ),
            "Delete it if it is a leftover (an earlier recovery or drill), or give the readiness \
             input and the runbook another name: the database owner's fix.",
        ),
    }
}

/// The data a recovery now would lose, against the target when one is set.
pub fn data_loss(seconds: Option<i64>, target: Option<i64>) -> Check {
    match (seconds, target) {
        (None, _) => Check::fail(
            "data_loss",
            "unknown: no recovery point could be read",
            "See the failed source check: the database owner's fix.",
        ),
        (Some(s), Some(t)) if s > t => Check::fail(
            "data_loss",
            format!("{s} s, above RPO_TARGET_SECONDS ({t} s)"),
            "Take snapshots more often, copy them to the recovery region sooner, or replicate \
             automated backups (a point-in-time restore loses minutes): the database owner's fix.",
        ),
        (Some(s), Some(t)) => Check::pass("data_loss", format!("{s} s, within {t} s")),
        (Some(s), None) => Check::pass("data_loss", format!("{s} s (no RPO_TARGET_SECONDS set)")),
    }
}

/// What a restore plan would attach: the groups and the network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attached {
    pub subnet_group: Option<String>,
    pub security_groups: Vec<String>,
    /// `(kind, name)`: `parameter group`, `option group`, `cluster parameter group`.
    pub groups: Vec<(&'static str, String)>,
    /// The replicated backups a point-in-time restore would name.
    pub backups_arn: Option<String>,
}

/// What the steps of a restore plan attach, read from their API fields.
pub fn attached(steps: &[Step]) -> Attached {
    let mut out = Attached::default();
    for step in steps {
        match step {
            Step::InstanceFromSnapshot(s) => out.instance(&s.settings),
            Step::InstanceToPointInTime(s) => {
                out.backups_arn = s.source_db_instance_automated_backups_arn.clone();
                out.instance(&s.settings);
            }
            Step::ClusterFromSnapshot(s) => out.cluster(&s.settings),
            Step::ClusterToPointInTime(s) => out.cluster(&s.settings),
            Step::Writer(w) => {
                out.push("parameter group", &w.db_parameter_group_name);
            }
            // A standby is promoted as it is: nothing new is attached.
            Step::Promote(_) | Step::Switchover(_) | Step::Failover(_) | Step::TagStandby(_) => {}
        }
    }
    out
}

impl Attached {
    fn push(&mut self, kind: &'static str, name: &Option<String>) {
        if let Some(name) = name {
            self.groups.push((kind, name.clone()));
        }
    }

    fn instance(&mut self, s: &crate::restore::step::InstanceSettings) {
        self.subnet_group = s.db_subnet_group_name.clone();
        self.security_groups = s.vpc_security_group_ids.clone();
        self.push("parameter group", &s.db_parameter_group_name);
        self.push("option group", &s.option_group_name);
    }

    fn cluster(&mut self, s: &crate::restore::step::ClusterSettings) {
        self.subnet_group = s.db_subnet_group_name.clone();
        self.security_groups = s.vpc_security_group_ids.clone();
        self.push(
            "cluster parameter group",
            &s.db_cluster_parameter_group_name,
        );
    }
}

/// The subnet group the restore names exists where it restores.
pub fn subnet_group(region: &str, name: Option<&str>, exists: bool) -> Check {
    match name {
        None => Check::pass(
            "subnet_group",
            "none named: the restore keeps the snapshot's",
        ),
        Some(name) if exists => Check::pass("subnet_group", format!("'{name}' exists in {region}")),
        Some(name) => Check::fail(
            "subnet_group",
            format!("DB subnet group '{name}' does not exist in {region}"),
            format!(
                "Create it in {region} (aws rds create-db-subnet-group --region {region} ...), or \
                 name another in the readiness input and the runbook: the network owner's fix."
            ),
        ),
    }
}

/// Every security group the restore names exists where it restores.
pub fn security_groups(region: &str, wanted: &[String], found: &[String]) -> Check {
    let missing: Vec<&String> = wanted.iter().filter(|g| !found.contains(g)).collect();
    match (wanted.is_empty(), missing.is_empty()) {
        (true, _) => Check::pass(
            "security_groups",
            "none named: RDS attaches the VPC's default",
        ),
        (false, true) => Check::pass(
            "security_groups",
            format!("{} exist in {region}", wanted.join(", ")),
        ),
        (false, false) => Check::fail(
            "security_groups",
            format!(
                "security group{} {} do{} not exist in {region}",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if missing.len() == 1 { "es" } else { "" }
            ),
            "Create them in the recovery VPC, or name the ones that exist in the readiness input \
             and the runbook: the network owner's fix.",
        ),
    }
}

/// The parameter, option and cluster parameter groups the restore would
/// send exist where it restores. `missing` is what the reads did not find.
pub fn groups(
    region: &str,
    wanted: &[(&'static str, String)],
    missing: &[(&'static str, String)],
) -> Check {
    if wanted.is_empty() {
        return Check::pass("groups", "none named: RDS uses the engine's defaults");
    }
    let words = |list: &[(&'static str, String)]| {
        list.iter()
            .map(|(kind, name)| format!("{kind} '{name}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if missing.is_empty() {
        Check::pass("groups", format!("{} exist in {region}", words(wanted)))
    } else {
        Check::fail(
            "groups",
            format!("{} not found in {region}", words(missing)),
            format!(
                "Create them in {region} (groups are regional: copy them from the source region), \
                 or leave them out of the readiness input: the database owner's fix."
            ),
        )
    }
}

/// The state of a KMS key, as DescribeKey reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// `KeyState` as KMS names it: `Enabled`, `Disabled`, `PendingDeletion`, ...
    Known(String),
    /// KMS has no such key in that region.
    NotFound,
}

/// The key of what the restore would read (a snapshot, replicated backups)
/// is usable where it restores. `key` is `None` for unencrypted data.
pub fn encryption_key(region: &str, of: &str, key: Option<(&str, &KeyState)>) -> Check {
    match key {
        None => Check::pass("encryption_key", format!("{of} is not encrypted")),
        Some((id, KeyState::Known(state))) if state == "Enabled" => Check::pass(
            "encryption_key",
            format!("{of} is encrypted with {id}, enabled in {region}"),
        ),
        Some((id, state)) => Check::fail(
            "encryption_key",
            format!(
                "{of} is encrypted with {id}, which is {} in {region}: RDS cannot restore it",
                match state {
                    KeyState::Known(state) => state.as_str(),
                    KeyState::NotFound => "not found",
                }
            ),
            "Enable the key (or cancel its deletion), or copy the snapshot under a usable key in \
             the recovery region: the key owner's fix.",
        ),
    }
}

/// The failover's dry run: its plan and its health pre-flight.
pub fn failover(result: &FailoverResult) -> Check {
    let to = result.new_region.as_deref().unwrap_or("the target");
    match result.status {
        FailoverStatus::AlreadyActive => Check::pass(
            "failover_plan",
            format!("traffic is already on {to}: a failover would change nothing"),
        ),
        _ => Check::pass(
            "failover_plan",
            format!(
                "a failover to {to} would change {} record set{} and {} routing control{}; \
                 health checks passed: {}",
                result.records.len(),
                if result.records.len() == 1 { "" } else { "s" },
                result.routing_controls.len(),
                if result.routing_controls.len() == 1 {
                    ""
                } else {
                    "s"
                },
                if result.health_checks_passed.is_empty() {
                    "none needed".to_owned()
                } else {
                    result.health_checks_passed.join(", ")
                }
            ),
        ),
    }
}

/// What the primary-unhealthy alarm would do (`AlarmAction`), judged
/// against the plan: `traffic` with databases whose writer is in the
/// primary region, or a `recover:` scenario the alarm may not start, fails
/// here rather than during the incident.
pub fn alarm_action(
    action: &Result<crate::plan::alarm::AlarmAction, String>,
    plan: Option<&crate::plan::Plan>,
    secondary_region: &str,
    allowed_alone: bool,
) -> Check {
    let judged = match action {
        Ok(action) => crate::plan::alarm::judge(action, plan, secondary_region, allowed_alone),
        Err(mistake) => Err(format!("ALARM_ACTION {mistake}")),
    };
    match judged {
        Ok(detail) => Check::pass("alarm_action", detail),
        Err(detail) => Check::fail(
            "alarm_action",
            detail,
            "Deploy with AlarmAction page, or recover:<scenario> of a scenario with a \
             data-loss bound on every database: the deployer's fix.",
        ),
    }
}

/// The database name the workflow's cutover would UPSERT exists.
pub fn cutover_record(zone: &str, name: &str, value: Option<&str>) -> Check {
    match value {
        Some(value) => Check::pass(
            "cutover_record",
            format!("CNAME {name} in zone {zone} points at {value}"),
        ),
        None => Check::fail(
            "cutover_record",
            format!("zone {zone} has no CNAME {name}"),
            "Create the CNAME (the application's database name) in the private zone, or fix \
             DbEndpointRecordName through a deploy: the deployer's fix.",
        ),
    }
}

/// One quota a recovery takes from: its name as `DescribeAccountAttributes`
/// gives it (`DBInstances`, `DBClusters`), how many the recovery creates,
/// and `(max, used)` when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub name: &'static str,
    pub needed: u64,
    pub found: Option<(i64, i64)>,
}

/// What a scenario's recovery creates in `region` fits the account's
/// quotas there: a recovery that hits one fails half-way, some databases
/// restored and others not. Licence-included SQL Server and Oracle have
/// per-edition limits these quotas do not show.
pub fn capacity(region: &str, quotas: &[Quota]) -> Check {
    if quotas.iter().all(|q| q.needed == 0) {
        return Check::pass(
            "capacity",
            format!("the recovery creates nothing in {region} (promotions only)"),
        );
    }
    let mut fits = Vec::new();
    let mut short = Vec::new();
    for q in quotas.iter().filter(|q| q.needed > 0) {
        match q.found {
            None => short.push((q, format!("{}: RDS answered no such quota", q.name))),
            Some((max, used)) => {
                let free = (max - used).max(0);
                if free >= q.needed as i64 {
                    fits.push(format!("{} {}: {free} free of {max}", q.needed, q.name));
                } else {
                    short.push((
                        q,
                        format!(
                            "{} {} needed, only {free} free of {max} ({used} used)",
                            q.needed, q.name
                        ),
                    ));
                }
            }
        }
    }
    if short.is_empty() {
        return Check::pass(
            "capacity",
            format!("in {region}, writers included: {}", fits.join("; ")),
        );
    }
    Check::fail(
        "capacity",
        format!(
            "in {region}: {}: the recovery would fail half-way",
            short
                .iter()
                .map(|(_, d)| d.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        format!(
            "Request {} in {region} (Service Quotas, Amazon RDS), or delete unused ones there: \
             the account owner's fix.",
            short
                .iter()
                .map(|(q, _)| match q.found {
                    Some((_, used)) => format!("{} of at least {}", q.name, used + q.needed as i64),
                    None => format!("{} of at least {}", q.name, q.needed),
                })
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    )
}

/// The shortest `ReadinessIntervalMinutes` whose seconds cover `reads`
/// (1 RDS read a second), if one does.
pub fn interval_for(reads: u64) -> Option<u64> {
    [1, 5, 10, 15, 30, 60].into_iter().find(|m| m * 60 >= reads)
}

/// Every database of the scenario in `region` was checked within the
/// interval's read budget (1 RDS read a second). Otherwise the check fails:
/// those left are named (they are checked in turn, every `every`
/// intervals), and a failing one must not hide in the intervals it is not
/// checked, so the scenario is not ready until the interval is long enough.
pub fn read_budget(
    region: &str,
    budget: u64,
    unchecked: &[String],
    every: u64,
    reads: u64,
) -> Check {
    if unchecked.is_empty() {
        return Check::pass(
            "read_budget",
            format!("every database checked within {budget} RDS reads in {region}"),
        );
    }
    Check::fail(
        "read_budget",
        format!(
            "the plan needs up to {reads} RDS reads in {region} an interval, above its budget of \
             {budget} (1 a second): not checked this time: {}; each database is checked every \
             {every} intervals",
            unchecked.join(", ")
        ),
        match interval_for(reads) {
            Some(minutes) => format!(
                "Set ReadinessIntervalMinutes to {minutes} or more through a deploy: the \
                 deployer's fix."
            ),
            None => "Split the plan's scenarios across deployments (each checks its own): \
                     the deployer's fix."
                .to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_alone_on_a_plan_with_primary_homed_databases_fails_the_alarm_action_check() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/plan/recovery-plan.json"
        ))
        .expect("the example plan");
        let plan = crate::plan::parse(&text, &Default::default()).expect("a valid plan");
        let traffic = Ok(crate::plan::alarm::AlarmAction::Traffic);

        let check = alarm_action(&traffic, Some(&plan), "us-west-2", false);
        let allowed = alarm_action(&traffic, Some(&plan), "us-west-2", true);

        assert_eq!((check.check, check.ok), ("alarm_action", false));
        assert!(
            check
                .detail
                .contains("have their writer in the primary region"),
            "{}",
            check.detail
        );
        assert!(allowed.ok, "{}", allowed.detail);
    }

    fn quotas(
        instances: (u64, Option<(i64, i64)>),
        clusters: (u64, Option<(i64, i64)>),
    ) -> Vec<Quota> {
        vec![
            Quota {
                name: "DBInstances",
                needed: instances.0,
                found: instances.1,
            },
            Quota {
                name: "DBClusters",
                needed: clusters.0,
                found: clusters.1,
            },
        ]
    }

    #[test]
    fn capacity_passes_when_the_free_instances_and_clusters_cover_the_recovery() {
        let check = capacity(
            "us-west-2",
            &quotas((3, Some((40, 37))), (1, Some((40, 2)))),
        );
        assert!(check.ok);
        assert_eq!(
            check.detail,
            "in us-west-2, writers included: 3 DBInstances: 3 free of 40; 1 DBClusters: 38 free of 40"
        );
    }

    #[test]
    fn capacity_fails_when_the_recovery_would_hit_a_quota_and_names_the_quota_to_ask() {
        let check = capacity(
            "us-west-2",
            &quotas((3, Some((40, 39))), (1, Some((40, 2)))),
        );
        assert!(!check.ok);
        assert_eq!(
            check.detail,
            "in us-west-2: 3 DBInstances needed, only 1 free of 40 (39 used): the recovery would \
             fail half-way"
        );
        assert_eq!(
            check.fix.as_deref(),
            Some(
                "Request DBInstances of at least 42 in us-west-2 (Service Quotas, Amazon RDS), or \
                 delete unused ones there: the account owner's fix."
            )
        );
    }

    #[test]
    fn capacity_passes_a_recovery_of_promotions_only_without_a_quota() {
        assert!(capacity("us-west-2", &quotas((0, None), (0, None))).ok);
        assert!(!capacity("us-west-2", &quotas((1, None), (0, None))).ok);
    }

    #[test]
    fn a_plan_above_the_read_budget_fails_naming_the_interval_that_fits_it() {
        let check = read_budget("us-west-2", 300, &["search".to_owned()], 2, 503);
        assert!(!check.ok);
        assert!(check.detail.contains("search"), "{}", check.detail);
        assert_eq!(
            check.fix.as_deref(),
            Some(
                "Set ReadinessIntervalMinutes to 10 or more through a deploy: the deployer's fix."
            )
        );
        assert!(read_budget("us-west-2", 300, &[], 1, 203).ok);
    }

    #[test]
    fn a_data_loss_above_the_target_fails_and_says_what_to_do() {
        let check = data_loss(Some(7200), Some(900));
        assert!(!check.ok);
        assert_eq!(check.detail, "7200 s, above RPO_TARGET_SECONDS (900 s)");
        assert!(
            check
                .fix
                .as_deref()
                .unwrap_or_default()
                .contains("more often")
        );
        assert_eq!(
            data_loss(Some(300), Some(900)).detail,
            "300 s, within 900 s"
        );
        assert!(!data_loss(None, None).ok);
    }

    #[test]
    fn a_missing_security_group_is_named() {
        let wanted = vec!["sg-1".to_owned(), "sg-2".to_owned()];
        let check = security_groups("us-west-2", &wanted, &["sg-1".to_owned()]);
        assert!(!check.ok);
        assert_eq!(
            check.detail,
            "security group sg-2 does not exist in us-west-2"
        );
        assert!(security_groups("us-west-2", &wanted, &wanted).ok);
    }

    #[test]
    fn a_key_pending_deletion_fails_and_an_enabled_one_passes() {
        let pending = KeyState::Known("PendingDeletion".into());
        let check = encryption_key("us-west-2", "snapshot 's'", Some(("k1", &pending)));
        assert!(!check.ok);
        assert_eq!(
            check.detail,
            "snapshot 's' is encrypted with k1, which is PendingDeletion in us-west-2: RDS cannot \
             restore it"
        );
        let enabled = KeyState::Known("Enabled".into());
        assert!(encryption_key("us-west-2", "snapshot 's'", Some(("k1", &enabled))).ok);
        assert!(encryption_key("us-west-2", "snapshot 's'", None).ok);
    }

    #[test]
    fn a_taken_target_name_fails_naming_what_exists() {
        let check = target_free(
            "us-west-2",
            &["ecommerce-db-dr"],
            &[("instance", "ecommerce-db-dr".to_owned())],
        );
        assert_eq!(
            check.detail,
            "instance 'ecommerce-db-dr' already exists in us-west-2: a recovery would replay it \
             or be refused"
        );
        assert!(target_free("us-west-2", &["x"], &[]).ok);
    }

    #[test]
    fn an_aws_error_is_a_failed_check_named_by_the_error_with_its_fix() {
        let error = Error::Throttled(crate::error::AwsFailure {
            operation: "DescribeDBSubnetGroups",
            code: Some("Throttling".into()),
            message: "Rate exceeded".into(),
            source: "boom".into(),
        });
        let check = Check::error("subnet_group", &error);
        assert!(!check.ok);
        assert!(check.detail.starts_with("Throttled: "), "{}", check.detail);
        assert_eq!(check.fix.as_deref(), Some(whose(Fault::Transient)));
    }

    fn leftover(created: Option<i64>, protected: bool) -> crate::drill::cleanup::Leftover {
        crate::drill::cleanup::Leftover {
            kind: "instance",
            id: "orders-dr-d0000beef".into(),
            arn: None,
            in_cluster: false,
            cluster: None,
            created,
            protected,
            addresses: vec![],
        }
    }

    #[test]
    fn a_young_drill_copy_is_a_drill_in_progress_and_a_protected_one_a_warning() {
        let now = 1_800_000_000;
        let none = Ok(vec![]);
        let young = drill_leftovers("us-west-2", &[leftover(Some(now - 60), false)], now, &none);
        assert!(young.ok);
        assert!(
            young.detail.starts_with("drill in progress"),
            "{}",
            young.detail
        );
        let creating = drill_leftovers("us-west-2", &[leftover(None, false)], now, &none);
        assert!(creating.ok, "{}", creating.detail);
        let protected = drill_leftovers("us-west-2", &[leftover(Some(0), true)], now, &none);
        assert!(protected.ok && protected.warning, "{protected:?}");
        assert!(protected.fix.is_some());
        let old = drill_leftovers("us-west-2", &[leftover(Some(0), false)], now, &none);
        assert!(!old.ok);
        assert!(!old.warning);
    }

    #[test]
    fn a_leftover_production_points_at_is_a_warning_as_the_sweep_keeps_it() {
        let mut pointed = leftover(Some(0), false);
        pointed.addresses = vec!["orders-dr-d0000beef.x.us-west-2.rds.amazonaws.com".into()];
        let production = Ok(vec![(
            "db.orders.internal".to_owned(),
            "orders-dr-d0000beef.x.us-west-2.rds.amazonaws.com".to_owned(),
        )]);
        let check = drill_leftovers("us-west-2", &[pointed], 1_800_000_000, &production);
        assert!(check.ok && check.warning, "{check:?}");
        assert!(check.detail.contains("points at it"), "{}", check.detail);
    }
}
