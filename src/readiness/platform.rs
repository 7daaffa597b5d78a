//! Readiness of the recovery plan (`{"plan": true}`): every scenario this
//! deployment runs (the plan's `runs_in`), every database of it, with the
//! same checks as one restore's, and two a platform adds: the `capacity` of
//! the account's instance quota, and the `read_budget`.
//!
//! Its cost scales with the plan, not the checks: one listing of a region's
//! instances and clusters serves every database's name and leftover checks;
//! the databases checked in an interval stay within 1 RDS read a second of
//! it, per region, taken in turn when a plan is larger (and then the
//! scenario is not ready: a failing database must not hide in the intervals
//! it is not checked); and nothing is read from RDS while a recovery (or a
//! drill) runs, whose own reads need the account's budget (12 a second,
//! shared).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

use super::checks::{self, Check};
use super::{ReadinessHandler, read};
use crate::error::Error;
use crate::metrics::{self, Metric};
use crate::plan::{Plan, Start};
use crate::restore::{RestoreResult, rds};
use crate::runtime::Invocation;

/// The RDS reads one database's checks make at most: its restore's dry run
/// (the target, the source, its snapshots or backups: 3 to 5), the snapshot
/// whose key is checked (1), and the groups it attaches (subnet, parameter,
/// option: up to 4, each read once an invocation however many databases
/// share it). Measured on moto at 4 to 6 (`tests/readiness_plan_moto.rs`
/// asserts the ceiling). The region's listing and quota are counted apart.
pub const RDS_READS_PER_DATABASE: u64 = 10;

/// The reads of a region a check makes whatever the plan's size: the
/// instances' and the clusters' listings (one page each up to 100) and the
/// instance quota.
pub const RDS_READS_PER_REGION: u64 = 3;

/// A region's RDS quotas by name: `(max, used)`.
type Quotas = BTreeMap<String, (i64, i64)>;

/// The plan's readiness input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// `true`: check the deployment's recovery plan.
    pub plan: bool,
    /// Only these scenarios (default: every one this deployment runs).
    #[serde(default)]
    pub scenarios: Option<Vec<String>>,
}

/// The plan's readiness: per scenario, and per database of each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanReadiness {
    /// Every scenario ready; `null` when nothing was checked (a recovery runs).
    pub ready: Option<bool>,
    pub checked_at: String,
    /// Why nothing was checked: the running execution.
    pub skipped: Option<String>,
    /// The platform's own checks: `recovery_running` (a warning when it
    /// could not be read: the pause during a recovery is then off), and
    /// `alarm_action` (what the primary-unhealthy alarm would do, against
    /// the plan).
    pub checks: Vec<Check>,
    pub scenarios: Vec<ScenarioReadiness>,
}

/// One scenario of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReadiness {
    pub scenario: String,
    /// Its own checks, and every checked required database, passed (an
    /// optional database's failure is its own `ready: false`: the recovery
    /// would go on without it).
    pub ready: bool,
    /// The worst data-loss window of its checked databases; `null` when one
    /// is unknown.
    pub data_loss_seconds: Option<i64>,
    /// The scenario's own checks: `capacity`, `read_budget`, `failover_plan`.
    pub checks: Vec<Check>,
    pub databases: Vec<DatabaseReadiness>,
}

/// One database of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseReadiness {
    pub database: String,
    pub required: bool,
    /// `false`: left for a later interval by the read budget (no result).
    pub checked: bool,
    pub ready: bool,
    pub data_loss_seconds: Option<i64>,
    pub recovery_point: Option<String>,
    pub checks: Vec<Check>,
}

/// One database of one scenario, to check.
struct Item<'a> {
    scenario: &'a str,
    database: &'a crate::plan::Database,
    event: Value,
    region: String,
}

impl ReadinessHandler {
    /// The plan's readiness.
    pub(super) async fn plan_readiness(
        &self,
        input: PlanInput,
        invocation: &Invocation,
    ) -> Result<PlanReadiness, Error> {
        if !input.plan {
            return Err(Error::invalid(
                "plan",
                "is true to check the recovery plan; give the restore or failover half otherwise",
            ));
        }
        let plan = self.deployed_plan()?;
        let scenarios = self.scenarios_here(plan, input.scenarios.as_deref(), invocation)?;
        let checked_at = crate::restore::request::rfc3339(invocation.received.into());
        let guard = self.recovery_running().await;
        if let Ok(Some(running)) = &guard {
            info!(execution = %running, "a recovery runs: no RDS read until it ends");
            println!(
                "{}",
                metrics::emf_line_with(
                    &self.settings.namespace,
                    &[],
                    &[Metric {
                        name: "RecoveryRunning",
                        unit: "Count",
                        value: Some(1.0),
                    }],
                    invocation.received,
                )
            );
            return Ok(PlanReadiness {
                ready: None,
                checked_at,
                skipped: Some(format!(
                    "a recovery runs (execution '{running}'): no RDS read until it ends, so \
                     that its own reads have the account's RDS budget"
                )),
                checks: Vec::new(),
                scenarios: Vec::new(),
            });
        }
        let guard = match guard {
            Ok(_) => Check::pass("recovery_running", "no recovery runs"),
            Err(reason) => Check::warn(
                "recovery_running",
                format!("whether a recovery runs is unknown ({reason}): checked anyway"),
                "Give check-readiness states:ListExecutions on the recovery workflow, and \
                 RECOVERY_STATE_MACHINE_ARN, through a deploy: the deployer's fix.",
            ),
        };
        let items = items(plan, &scenarios)?;
        let regions: Vec<&str> = items.iter().map(|i| i.region.as_str()).collect();
        let now_seconds = invocation
            .received
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let budget = budgeted(&regions, self.read_budget(), now_seconds);
        // One listing, and one read of the quotas, per region.
        let mut listings: BTreeMap<String, Result<Vec<rds::Listed>, Error>> = BTreeMap::new();
        let mut quotas: BTreeMap<String, Result<Quotas, Error>> = BTreeMap::new();
        for item in &items {
            if !listings.contains_key(&item.region) {
                let client = self.rds.get(&item.region);
                listings.insert(item.region.clone(), rds::list_databases(&client).await);
                quotas.insert(item.region.clone(), read::quotas(&client).await);
            }
        }
        let production = self.plan_production_values(plan).await;
        let now = invocation
            .received
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut found: BTreeMap<(&str, &str), DatabaseReadiness> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let result = if budget.chosen.contains(&i) {
                let listing = listings
                    .get(&item.region)
                    .map(|l| l.as_ref().map(Vec::as_slice));
                self.database_readiness(item, listing, &production, now, invocation)
                    .await
            } else {
                DatabaseReadiness {
                    database: item.database.name.clone(),
                    required: item.database.required,
                    checked: false,
                    ready: true,
                    data_loss_seconds: None,
                    recovery_point: None,
                    checks: Vec::new(),
                }
            };
            found.insert((item.scenario, item.database.name.as_str()), result);
        }
        let mut out = Vec::new();
        for scenario in &scenarios {
            let spec = &plan.scenarios[scenario.as_str()];
            let databases: Vec<DatabaseReadiness> = items
                .iter()
                .filter(|i| i.scenario == scenario.as_str())
                .filter_map(|i| found.remove(&(i.scenario, i.database.name.as_str())))
                .collect();
            let mut own = Vec::new();
            for (region, (instances, clusters)) in created(&items, scenario) {
                let want = |found: &Quotas| {
                    vec![
                        checks::Quota {
                            name: "DBInstances",
                            needed: instances,
                            found: found.get("DBInstances").copied(),
                        },
                        checks::Quota {
                            name: "DBClusters",
                            needed: clusters,
                            found: found.get("DBClusters").copied(),
                        },
                    ]
                };
                own.push(match quotas.get(&region) {
                    Some(Ok(found)) => checks::capacity(&region, &want(found)),
                    // Nothing to create: no quota to read.
                    Some(Err(_)) | None if instances + clusters == 0 => {
                        checks::capacity(&region, &want(&BTreeMap::new()))
                    }
                    Some(Err(e)) => Check::error("capacity", e),
                    None => checks::capacity(&region, &want(&BTreeMap::new())),
                });
            }
            let regions: BTreeSet<&str> = items
                .iter()
                .filter(|i| i.scenario == scenario.as_str())
                .map(|i| i.region.as_str())
                .collect();
            for region in regions {
                let left: Vec<String> = items
                    .iter()
                    .enumerate()
                    .filter(|(n, i)| {
                        i.scenario == scenario.as_str()
                            && i.region == region
                            && budget.left.contains(n)
                    })
                    .map(|(_, i)| i.database.name.clone())
                    .collect();
                own.push(checks::read_budget(
                    region,
                    self.read_budget(),
                    &left,
                    budget.every.get(region).copied().unwrap_or(1),
                    budget.reads.get(region).copied().unwrap_or(0),
                ));
            }
            if spec.moves_traffic {
                own.push(self.plan_failover_check(invocation).await);
            }
            let checked: Vec<&DatabaseReadiness> = databases.iter().filter(|d| d.checked).collect();
            let worst = if checked.iter().any(|d| d.data_loss_seconds.is_none()) {
                None
            } else {
                checked.iter().filter_map(|d| d.data_loss_seconds).max()
            };
            out.push(ScenarioReadiness {
                scenario: scenario.clone(),
                ready: own.iter().all(|c| c.ok)
                    && checked.iter().filter(|d| d.required).all(|d| d.ready),
                data_loss_seconds: worst,
                checks: own,
                databases,
            });
        }
        let mut own = vec![guard];
        if let Some(failover) = &self.failover {
            let config = failover.config();
            own.push(checks::alarm_action(
                &config.alarm_action,
                Some(plan),
                &config.secondary_region,
                config.alarm_may_move_traffic_alone,
            ));
        }
        let readiness = PlanReadiness {
            ready: Some(own.iter().all(|c| c.ok) && out.iter().all(|s| s.ready)),
            checked_at,
            skipped: None,
            checks: own,
            scenarios: out,
        };
        self.emit(&readiness, invocation);
        Ok(readiness)
    }

    fn deployed_plan(&self) -> Result<&Plan, Error> {
        match &self.plan {
            Ok(Some(plan)) => Ok(plan),
            Ok(None) => Err(Error::Misconfigured {
                variable: "PLAN_FILE",
                reason: format!(
                    "names no recovery plan, and none is at {}: deploy the plan layer, or give \
                     the restore half instead of plan",
                    crate::plan::DEFAULT_PLAN_FILE
                ),
            }),
            Err(mistake) => Err(Error::Misconfigured {
                variable: "PLAN_FILE",
                reason: format!("holds a plan with a mistake ({mistake}): fix it and deploy"),
            }),
        }
    }

    /// The scenarios of the plan this deployment runs (its account and
    /// region), or those asked for, each of which must run here.
    fn scenarios_here(
        &self,
        plan: &Plan,
        asked: Option<&[String]>,
        invocation: &Invocation,
    ) -> Result<Vec<String>, Error> {
        let runs_here = |spec: &crate::plan::Scenario| {
            spec.runs_in.region == self.home_region
                && invocation
                    .account_id
                    .as_deref()
                    .is_none_or(|a| a == spec.runs_in.account)
        };
        let here = match asked {
            Some([]) => return Err(Error::invalid("scenarios", "names no scenario")),
            Some(names) => {
                let mut seen = BTreeSet::new();
                for name in names {
                    if !seen.insert(name) {
                        return Err(Error::invalid(
                            "scenarios",
                            format!("'{name}' is named twice"),
                        ));
                    }
                    match plan.scenarios.get(name) {
                        None => {
                            return Err(Error::invalid(
                                "scenarios",
                                format!("'{name}' is not a scenario of the plan"),
                            ));
                        }
                        Some(spec) if !runs_here(spec) => {
                            return Err(Error::invalid(
                                "scenarios",
                                format!(
                                    "'{name}' runs in {} of account {}, not in this deployment: \
                                     check it there",
                                    spec.runs_in.region, spec.runs_in.account
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                }
                names.to_vec()
            }
            None => plan
                .scenarios
                .iter()
                .filter(|(_, spec)| runs_here(spec))
                .map(|(name, _)| name.clone())
                .collect(),
        };
        if here.is_empty() {
            return Err(Error::Misconfigured {
                variable: "PLAN_FILE",
                reason: format!(
                    "no scenario of the plan runs in {} of this account (the scenarios' \
                     runs_in): deploy this stack where one runs",
                    self.home_region
                ),
            });
        }
        Ok(here)
    }

    /// The name of a running execution of the recovery workflow, if one
    /// runs (a drill included). Unreadable: the reason, and the check goes
    /// on with a warning (a readiness that never runs hides more than a few
    /// reads cost). `ListExecutions` is eventually consistent: an execution
    /// started a moment ago may not be listed yet.
    async fn recovery_running(&self) -> Result<Option<String>, String> {
        let (Some(sfn), Some(arn)) = (&self.sfn, &self.settings.recovery_state_machine) else {
            return Ok(None);
        };
        read::running_execution(sfn, arn).await.map_err(|e| {
            tracing::warn!(error = %e, "whether a recovery runs is unknown: checking anyway");
            format!("{}: {e}", e.name())
        })
    }

    /// The RDS reads one region may take in an interval: 1 a second.
    fn read_budget(&self) -> u64 {
        self.settings.interval_seconds
    }

    /// What the plan's production records point at, for the leftover check
    /// (a copy a production record points at is never a leftover).
    async fn plan_production_values(&self, plan: &Plan) -> Result<Vec<(String, String)>, String> {
        let Some(zone) = &self.settings.zone else {
            return Ok(Vec::new());
        };
        let names: Vec<String> = plan.databases.iter().map(|d| d.record.clone()).collect();
        crate::drill::cleanup::production_values(&self.route53, zone, &names)
            .await
            .map_err(|e| format!("{}: {e}", e.name()))
    }

    async fn database_readiness(
        &self,
        item: &Item<'_>,
        listing: Option<Result<&[rds::Listed], &Error>>,
        production: &Result<Vec<(String, String)>, String>,
        now: i64,
        invocation: &Invocation,
    ) -> DatabaseReadiness {
        let database = item.database;
        let mut checks = Vec::new();
        let mut restored: Option<RestoreResult> = None;
        match self.restore.request(item.event.clone(), invocation) {
            // The plan check parsed it with the same rules; what fails now
            // is this deployment's allowlists.
            Err(e) => checks.push(Check::error("restore_request", &e)),
            Ok(req) => {
                let listing = listing.unwrap_or(Ok(&[]));
                let (found, result) = self
                    .restore_checks(
                        &req,
                        item.event.clone(),
                        invocation,
                        listing,
                        production,
                        now,
                    )
                    .await;
                checks.extend(found);
                restored = result;
                checks.push(checks::data_loss(
                    restored.as_ref().and_then(super::window),
                    self.settings.rpo_target_seconds,
                ));
            }
        }
        if let Some(zone) = &self.settings.zone {
            checks.push(match production {
                Ok(values) => checks::cutover_record(
                    zone,
                    &database.record,
                    values
                        .iter()
                        .find(|(name, _)| name == &database.record)
                        .map(|(_, value)| value.as_str()),
                ),
                Err(e) => Check::fail(
                    "cutover_record",
                    format!("the zone could not be read: {e}"),
                    checks::whose(crate::error::Fault::Transient),
                ),
            });
        }
        DatabaseReadiness {
            database: database.name.clone(),
            required: database.required,
            checked: true,
            ready: checks.iter().all(|c| c.ok),
            data_loss_seconds: restored.as_ref().and_then(super::window),
            recovery_point: restored.and_then(|r| r.recovery_point),
            checks,
        }
    }

    async fn plan_failover_check(&self, invocation: &Invocation) -> Check {
        let Some(failover) = &self.failover else {
            return Check::fail(
                "failover_plan",
                "this scenario moves traffic, and the function has no failover configuration \
                 (PRIMARY_REGION)",
                "Give check-readiness the failover's configuration through a deploy: the \
                 deployer's fix.",
            );
        };
        let config = failover.config();
        let event = serde_json::json!({
            "primary_region": config.primary_region,
            "secondary_region": config.secondary_region,
        });
        match self.failover_check(event, invocation).await {
            Ok(check) => check,
            Err(e) => Check::error("failover_plan", &e),
        }
    }

    /// The metrics: per scenario (`Scenario`) and per checked database
    /// (`Scenario`, `Database`), each also undimensioned.
    fn emit(&self, readiness: &PlanReadiness, invocation: &Invocation) {
        println!(
            "{}",
            platform_line(
                &self.settings.namespace,
                &readiness.checks,
                invocation.received
            )
        );
        for scenario in &readiness.scenarios {
            let failed = scenario.checks.iter().filter(|c| !c.ok).count()
                + scenario
                    .databases
                    .iter()
                    .flat_map(|d| &d.checks)
                    .filter(|c| !c.ok)
                    .count();
            info!(
                scenario = %scenario.scenario,
                ready = scenario.ready,
                checks_failed = failed,
                data_loss_seconds = scenario.data_loss_seconds,
                "scenario checked"
            );
            println!(
                "{}",
                metrics::emf_line_with(
                    &self.settings.namespace,
                    &[("Scenario", &scenario.scenario)],
                    &[
                        Metric {
                            name: "Ready",
                            unit: "None",
                            value: Some(if scenario.ready { 1.0 } else { 0.0 }),
                        },
                        Metric {
                            name: "ChecksFailed",
                            unit: "Count",
                            value: Some(failed as f64),
                        },
                        Metric {
                            name: "DataLossSeconds",
                            unit: "Seconds",
                            value: scenario.data_loss_seconds.map(|s| s as f64),
                        },
                    ],
                    invocation.received,
                )
            );
            for db in scenario.databases.iter().filter(|d| d.checked) {
                println!(
                    "{}",
                    metrics::emf_line_with(
                        &self.settings.namespace,
                        &[("Scenario", &scenario.scenario), ("Database", &db.database)],
                        &[
                            Metric {
                                name: "Ready",
                                unit: "None",
                                value: Some(if db.ready { 1.0 } else { 0.0 }),
                            },
                            Metric {
                                name: "DataLossSeconds",
                                unit: "Seconds",
                                value: db.data_loss_seconds.map(|s| s as f64),
                            },
                        ],
                        invocation.received,
                    )
                );
            }
        }
    }
}

/// The plan's own checks (`alarm_action`, `recovery_running`) as one
/// undimensioned EMF line: `Ready` 0 when one failed, which the
/// `ReadinessNotReadyAlarm` (the minimum of `Ready`) sees as it sees a
/// scenario's; `ChecksFailed`, how many.
pub fn platform_line(namespace: &str, checks: &[Check], at: std::time::SystemTime) -> String {
    let failed = checks.iter().filter(|c| !c.ok).count();
    metrics::emf_line_with(
        namespace,
        &[],
        &[
            Metric {
                name: "Ready",
                unit: "None",
                value: Some(if failed == 0 { 1.0 } else { 0.0 }),
            },
            Metric {
                name: "ChecksFailed",
                unit: "Count",
                value: Some(failed as f64),
            },
        ],
        at,
    )
}

/// What an interval checks within its read budget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    /// The items checked now.
    pub chosen: BTreeSet<usize>,
    /// The items left for later intervals.
    pub left: BTreeSet<usize>,
    /// Per region, every how many intervals each item is checked.
    pub every: BTreeMap<String, u64>,
    /// Per region, the RDS reads checking every item would take.
    pub reads: BTreeMap<String, u64>,
}

/// Which items (given by their regions) an interval checks: in each
/// region, all that fit its read budget, taken in turn from an offset that
/// moves every interval (`now_seconds / budget`), so that each is checked
/// every few intervals.
pub fn budgeted(regions: &[&str], budget: u64, now_seconds: u64) -> Budget {
    let fit = (budget.saturating_sub(RDS_READS_PER_REGION) / RDS_READS_PER_DATABASE).max(1);
    let interval = now_seconds / budget.max(1);
    let mut out = Budget::default();
    let distinct: BTreeSet<&str> = regions.iter().copied().collect();
    for region in distinct {
        let here: Vec<usize> = (0..regions.len())
            .filter(|&i| regions[i] == region)
            .collect();
        let n = here.len() as u64;
        out.reads.insert(
            region.to_owned(),
            RDS_READS_PER_REGION + n * RDS_READS_PER_DATABASE,
        );
        out.every.insert(region.to_owned(), n.div_ceil(fit).max(1));
        if n <= fit {
            out.chosen.extend(here);
            continue;
        }
        let start = interval.wrapping_mul(fit) % n;
        for (k, &i) in here.iter().enumerate() {
            // The k-th item's place after the offset: the first `fit` go.
            if (k as u64 + n - start) % n < fit {
                out.chosen.insert(i);
            } else {
                out.left.insert(i);
            }
        }
    }
    out
}

/// Every database of every scenario, with the restore event a start would
/// send: a point-in-time scenario is checked at its latest restorable time
/// (the time is given when it starts).
fn items<'a>(plan: &'a Plan, scenarios: &'a [String]) -> Result<Vec<Item<'a>>, Error> {
    let mut out = Vec::new();
    for scenario in scenarios {
        let spec = &plan.scenarios[scenario.as_str()];
        let start = Start {
            scenario: scenario.clone(),
            databases: spec.point_in_time.then(|| {
                plan.databases
                    .iter()
                    .filter(|d| d.restore.contains_key(scenario))
                    .map(|d| d.name.clone())
                    .collect()
            }),
            restore_time: spec
                .point_in_time
                .then(|| crate::restore::request::rfc3339(std::time::SystemTime::now().into())),
            skip: Vec::new(),
        };
        for expanded in crate::plan::expand(plan, &start)? {
            let Some(database) = plan.databases.iter().find(|d| d.name == expanded.database) else {
                continue;
            };
            let mut event = expanded.restore;
            if spec.point_in_time {
                event["restore_time"] = Value::from("latest");
            }
            let region = event
                .get("region")
                .and_then(Value::as_str)
                .unwrap_or(&spec.runs_in.region)
                .to_owned();
            out.push(Item {
                scenario: scenario.as_str(),
                database,
                event,
                region,
            });
        }
    }
    Ok(out)
}

/// Per region, the instances and the clusters `scenario`'s recovery
/// creates: an instance per instance restore, a cluster and its writer per
/// Aurora restore, nothing per promotion.
fn created(items: &[Item<'_>], scenario: &str) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for item in items.iter().filter(|i| i.scenario == scenario) {
        let entry = out.entry(item.region.clone()).or_default();
        if item.event.get("standby").is_some() {
            continue;
        }
        entry.0 += 1;
        if item.event.get("db_cluster").is_some() {
            entry.1 += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_plan_check_sets_the_undimensioned_ready_to_zero() {
        let checks = [
            Check::pass("recovery_running", "no recovery runs"),
            Check::fail(
                "alarm_action",
                "AlarmAction is traffic, and ...",
                "Deploy with page",
            ),
        ];

        let line = platform_line("dr", &checks, std::time::UNIX_EPOCH);

        assert!(line.contains("\"Ready\":0.0"), "{line}");
        assert!(line.contains("\"ChecksFailed\":1.0"), "{line}");
        assert!(line.contains("\"Dimensions\":[[]]"), "{line}");
    }

    #[test]
    fn a_plan_that_fits_the_budget_is_checked_whole_every_interval() {
        let regions = vec!["us-west-2"; 29];
        let budget = budgeted(&regions, 300, 1_800_000_000);
        assert_eq!(budget.chosen.len(), 29);
        assert!(budget.left.is_empty());
        assert_eq!(budget.every["us-west-2"], 1);
        assert_eq!(budget.reads["us-west-2"], 293);
    }

    #[test]
    fn forty_databases_in_two_scenarios_are_checked_in_turn_within_the_budget() {
        // 80 checks in one region, 300 reads an interval: 29 fit.
        let regions = vec!["us-west-2"; 80];
        let mut seen = BTreeSet::new();
        for k in 0..3 {
            let budget = budgeted(&regions, 300, 1_800_000_000 + k * 300);
            assert_eq!(budget.chosen.len(), 29);
            assert_eq!(budget.left.len(), 51);
            assert_eq!(budget.every["us-west-2"], 3);
            assert!(
                RDS_READS_PER_REGION + budget.chosen.len() as u64 * RDS_READS_PER_DATABASE <= 300,
                "within 1 read a second"
            );
            seen.extend(budget.chosen);
        }
        assert_eq!(seen.len(), 80, "every check ran within 3 intervals");
    }

    #[test]
    fn each_region_has_a_budget_of_its_own() {
        let mut regions = vec!["us-west-2"; 29];
        regions.extend(vec!["us-east-1"; 29]);
        let budget = budgeted(&regions, 300, 0);
        assert_eq!(budget.chosen.len(), 58);
        assert!(budget.left.is_empty());
    }
}
