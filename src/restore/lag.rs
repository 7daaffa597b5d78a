//! A standby's replication lag, from CloudWatch: the data a promotion now
//! would lose. `lag_from` is pure; `read` is the shell around
//! `GetMetricData`.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_rds::primitives::DateTime;

use super::facts::Lag;
use super::request::rfc3339;
use crate::error::from_sdk;

/// A datapoint older than this does not say how far behind the standby is
/// now: the primary region may be down, or the metric stopped.
pub const FRESH_FOR_SECONDS: i64 = 300;
/// How far back `read` asks: long enough to see the lag before an outage
/// that began hours ago (the reading is taken before the lag starts rising),
/// and a stale datapoint is reported as stale rather than as missing. At a
/// period of 60 s, 180 datapoints a metric.
const LOOK_BACK_SECONDS: i64 = 3 * 3600;

/// How close to 1 s per second a rise must be to count as the lag counting
/// the time since the last replayed write, rather than replication falling
/// behind under load.
const CLOCK_RISE: std::ops::RangeInclusive<f64> = 0.8..=1.2;

/// How many consecutive periods of such a rise make the source silent.
const SILENT_PERIODS: usize = 2;

/// What a standby's lag is measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LagMetric {
    /// `ReplicaLag` of a read replica (`DBInstanceIdentifier`), in seconds.
    ReplicaLag,
    /// `AuroraGlobalDBRPOLag` of a global secondary (`DBClusterIdentifier`),
    /// in milliseconds: the recovery point Aurora itself computes.
    AuroraRpoLag,
    /// `AuroraGlobalDBReplicationLag`, in milliseconds: where the RPO lag is
    /// not published.
    AuroraReplicationLag,
}

impl LagMetric {
    /// The CloudWatch metric name.
    pub fn name(self) -> &'static str {
        match self {
            LagMetric::ReplicaLag => "ReplicaLag",
            LagMetric::AuroraRpoLag => "AuroraGlobalDBRPOLag",
            LagMetric::AuroraReplicationLag => "AuroraGlobalDBReplicationLag",
        }
    }

    fn dimension(self) -> &'static str {
        match self {
            LagMetric::ReplicaLag => "DBInstanceIdentifier",
            LagMetric::AuroraRpoLag | LagMetric::AuroraReplicationLag => "DBClusterIdentifier",
        }
    }

    /// How many of the metric's units make a second.
    fn per_second(self) -> f64 {
        match self {
            LagMetric::ReplicaLag => 1.0,
            LagMetric::AuroraRpoLag | LagMetric::AuroraReplicationLag => 1000.0,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            LagMetric::ReplicaLag => "s",
            LagMetric::AuroraRpoLag | LagMetric::AuroraReplicationLag => "ms",
        }
    }
}

/// The lag that `points` (time, value) of `metric` show at `now`: the data
/// a promotion now would lose, read **before** an outage rather than from
/// it. The newest datapoint must be fresh; then:
///
/// - PostgreSQL's `ReplicaLag` is `now() - pg_last_xact_replay_timestamp()`:
///   it rises at about 1 s per second whenever the source sends no writes,
///   idle or dead. When the newest datapoints rise so for `SILENT_PERIODS`
///   periods or more, the reading is the datapoint before the rise began,
///   with its time: an upper bound of the loss (an idle source lost nothing).
/// - MySQL's `ReplicaLag` is -1 while replication is not running (a network
///   outage): the reading is the newest datapoint before the -1s.
/// - Otherwise, the newest datapoint.
///
/// The note says which reading it is, and when it was measured.
pub fn lag_from(metric: LagMetric, points: &[(DateTime, f64)], now: DateTime) -> Lag {
    let name = metric.name();
    let unknown = |measured_at, note: String| Lag {
        metric: name,
        seconds: None,
        measured_at,
        note,
    };
    let mut sorted: Vec<(DateTime, f64)> = points.to_vec();
    sorted.sort_by_key(|(at, _)| *at);
    let Some(&(newest_at, newest)) = sorted.last() else {
        return unknown(
            None,
            format!(
                "no {name} datapoint in the last {} minutes: the lag is unknown (the primary \
                 region may be down, or replication stopped)",
                LOOK_BACK_SECONDS / 60
            ),
        );
    };
    let age = (now.secs() - newest_at.secs()).max(0);
    if age > FRESH_FOR_SECONDS {
        return unknown(
            Some(newest_at),
            format!(
                "the newest {name} datapoint is {age} s old ({}): too old to say the lag now",
                rfc3339(newest_at)
            ),
        );
    }
    let known = |v: f64| v >= 0.0 && v.is_finite();
    let reading = |at: DateTime, value: f64, which: String| {
        let seconds = (value / metric.per_second()).ceil() as i64;
        Lag {
            metric: name,
            seconds: Some(seconds),
            measured_at: Some(at),
            note: format!(
                "{which}: {name} was {value} {} at {} ({} s before the request)",
                metric.unit(),
                rfc3339(at),
                (now.secs() - at.secs()).max(0)
            ),
        }
    };
    // RDS reports -1 when it cannot tell (replication not running).
    if !known(newest) {
        let Some(&(at, value)) = sorted.iter().rev().find(|(_, v)| known(*v)) else {
            return unknown(
                Some(newest_at),
                format!(
                    "{name} was {newest} at {}: RDS does not know the lag (replication is not \
                     running), and no reading before it",
                    rfc3339(newest_at)
                ),
            );
        };
        let since = sorted
            .iter()
            .find(|(t, v)| *t > at && !known(*v))
            .map_or(newest_at, |(t, _)| *t);
        return reading(
            at,
            value,
            format!(
                "the reading before replication stopped ({name} -1 since {}, as MySQL reports \
                 an outage)",
                rfc3339(since)
            ),
        );
    }
    if metric == LagMetric::ReplicaLag {
        // The trailing run of periods over which the lag rose like a clock.
        let mut rising = 0;
        for pair in sorted.windows(2).rev() {
            let [(t0, v0), (t1, v1)] = pair else { break };
            let dt = (t1.secs() - t0.secs()) as f64;
            if dt <= 0.0 || !known(*v0) || !CLOCK_RISE.contains(&((v1 - v0) / dt)) {
                break;
            }
            rising += 1;
        }
        if rising >= SILENT_PERIODS {
            let before = sorted.len() - 1 - rising;
            let (at, value) = sorted[before];
            if before == 0 {
                return unknown(
                    Some(at),
                    format!(
                        "{name} has risen at about 1 s per second since before {}: the source \
                         has sent no writes since then (idle, or down), and the lag before \
                         that is not in the last {} minutes",
                        rfc3339(at),
                        LOOK_BACK_SECONDS / 60
                    ),
                );
            }
            return reading(
                at,
                value,
                format!(
                    "the reading before the lag began rising at about 1 s per second ({newest} s \
                     now): the source has sent no writes since then, idle or down; an upper \
                     bound of the loss"
                ),
            );
        }
    }
    reading(newest_at, newest, "the newest reading".to_owned())
}

/// The first of `metrics` (in order of preference) with a known lag, else
/// the first one's reading. A CloudWatch error is an unknown lag, with the
/// error in the note: the lag informs a promotion, it does not block one
/// (unless the event sets `max_data_loss_seconds`).
///
/// CloudWatch returns a metric only for the exact dimensions it was
/// published with, and the Aurora global metrics may carry the primary's
/// `SourceRegion` beside `DBClusterIdentifier`: given `source_region`, each
/// Aurora metric is asked for both ways, in one call.
pub async fn read(
    client: &Client,
    metrics: &[LagMetric],
    id: &str,
    source_region: Option<&str>,
    now: DateTime,
) -> Lag {
    let asked = queries_for(metrics, source_region);
    let queries = asked.iter().enumerate().map(|(i, (metric, region))| {
        let mut dimensions = vec![
            Dimension::builder()
                .name(metric.dimension())
                .value(id)
                .build(),
        ];
        if let Some(region) = region {
            dimensions.push(
                Dimension::builder()
                    .name("SourceRegion")
                    .value(*region)
                    .build(),
            );
        }
        MetricDataQuery::builder()
            .id(format!("m{i}"))
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/RDS")
                            .metric_name(metric.name())
                            .set_dimensions(Some(dimensions))
                            .build(),
                    )
                    .period(60)
                    .stat("Maximum")
                    .build(),
            )
            .return_data(true)
            .build()
    });
    let first = metrics.first().copied().unwrap_or(LagMetric::ReplicaLag);
    let sent = client
        .get_metric_data()
        .set_metric_data_queries(Some(queries.collect()))
        .start_time(DateTime::from_secs(now.secs() - LOOK_BACK_SECONDS))
        .end_time(now)
        .scan_by(ScanBy::TimestampDescending)
        .send()
        .await;
    let out = match sent {
        Ok(out) => out,
        Err(e) => {
            let error = from_sdk("GetMetricData", e);
            return Lag {
                metric: first.name(),
                seconds: None,
                measured_at: None,
                note: format!("the lag could not be read: {}: {error}", error.name()),
            };
        }
    };
    let readings: Vec<Lag> = asked
        .iter()
        .enumerate()
        .map(|(i, (metric, _))| {
            let id = format!("m{i}");
            let points: Vec<(DateTime, f64)> = out
                .metric_data_results()
                .iter()
                .filter(|r| r.id() == Some(id.as_str()))
                .flat_map(|r| {
                    r.timestamps()
                        .iter()
                        .copied()
                        .zip(r.values().iter().copied())
                })
                .collect();
            lag_from(*metric, &points, now)
        })
        .collect();
    pick(readings)
}

/// The queries for `metrics`, in order of preference: each as
/// `(metric, SourceRegion)`; an Aurora metric also with `source_region`.
fn queries_for<'a>(
    metrics: &[LagMetric],
    source_region: Option<&'a str>,
) -> Vec<(LagMetric, Option<&'a str>)> {
    metrics
        .iter()
        .flat_map(|m| {
            let with_region = match m {
                LagMetric::ReplicaLag => None,
                LagMetric::AuroraRpoLag | LagMetric::AuroraReplicationLag => source_region,
            };
            std::iter::once((*m, None)).chain(with_region.map(|r| (*m, Some(r))))
        })
        .collect()
}

/// An unknown lag, not read for `why`.
pub fn unread(metrics: &[LagMetric], why: &str) -> Lag {
    Lag {
        metric: metrics
            .first()
            .copied()
            .unwrap_or(LagMetric::ReplicaLag)
            .name(),
        seconds: None,
        measured_at: None,
        note: format!("the lag was not read: {why}"),
    }
}

/// The first known reading, else the first.
fn pick(readings: Vec<Lag>) -> Lag {
    let known = readings
        .iter()
        .position(|l| l.seconds.is_some())
        .unwrap_or(0);
    readings
        .into_iter()
        .nth(known)
        .unwrap_or_else(|| lag_from(LagMetric::ReplicaLag, &[], DateTime::from_secs(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_305_600;

    fn at(ago: i64) -> DateTime {
        DateTime::from_secs(NOW - ago)
    }

    #[test]
    fn the_newest_fresh_datapoint_is_the_lag_in_seconds() {
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &[(at(120), 40.0), (at(60), 12.0)],
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, Some(12));
        assert_eq!(lag.measured_at, Some(at(60)));
        assert!(
            lag.note.contains("(60 s before the request)"),
            "{}",
            lag.note
        );
    }

    #[test]
    fn aurora_milliseconds_round_up_to_whole_seconds() {
        let lag = lag_from(
            LagMetric::AuroraRpoLag,
            &[(at(30), 1200.0)],
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, Some(2));
        assert_eq!(lag.metric, "AuroraGlobalDBRPOLag");
    }

    #[test]
    fn minus_one_means_unknown_not_zero() {
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &[(at(30), -1.0)],
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, None);
        assert!(lag.note.contains("does not know the lag"), "{}", lag.note);
    }

    /// A series every 60 s, the newest 30 s before NOW.
    fn series(values: &[f64]) -> Vec<(DateTime, f64)> {
        let n = values.len() as i64;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (at(30 + (n - 1 - i as i64) * 60), *v))
            .collect()
    }

    #[test]
    fn an_idle_or_dead_postgresql_source_is_read_before_its_lag_began_rising() {
        // 3 s of lag, then the source went silent: +60 s each period.
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &series(&[2.0, 3.0, 63.0, 123.0, 183.0, 243.0]),
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, Some(3));
        assert_eq!(lag.measured_at, Some(at(30 + 4 * 60)));
        assert!(
            lag.note
                .starts_with("the reading before the lag began rising"),
            "{}",
            lag.note
        );
        assert!(lag.note.contains("upper bound"), "{}", lag.note);
    }

    #[test]
    fn one_period_of_rise_is_load_not_silence_and_the_newest_reading_stands() {
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &series(&[2.0, 3.0, 4.0, 64.0]),
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, Some(64));
        assert!(lag.note.starts_with("the newest reading"), "{}", lag.note);
    }

    #[test]
    fn mysqls_minus_one_during_an_outage_gives_the_reading_before_it() {
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &series(&[1.0, 5.0, -1.0, -1.0, -1.0]),
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, Some(5));
        assert_eq!(lag.measured_at, Some(at(30 + 3 * 60)));
        assert!(lag.note.contains("-1 since"), "{}", lag.note);
    }

    #[test]
    fn a_rise_that_fills_the_whole_window_is_unknown() {
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &series(&[600.0, 660.0, 720.0]),
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, None);
        assert!(lag.note.contains("since before"), "{}", lag.note);
    }

    #[test]
    fn an_aurora_lag_is_the_newest_reading_whatever_its_shape() {
        let lag = lag_from(
            LagMetric::AuroraRpoLag,
            &series(&[1000.0, 61_000.0, 121_000.0]),
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, Some(121));
    }

    #[test]
    fn a_stale_datapoint_is_unknown_and_its_age_is_said() {
        let lag = lag_from(
            LagMetric::ReplicaLag,
            &[(at(400), 3.0)],
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, None);
        assert!(lag.note.contains("is 400 s old"), "{}", lag.note);
    }

    #[test]
    fn no_datapoint_is_unknown() {
        let lag = lag_from(
            LagMetric::AuroraReplicationLag,
            &[],
            DateTime::from_secs(NOW),
        );
        assert_eq!(lag.seconds, None);
        assert!(
            lag.note
                .starts_with("no AuroraGlobalDBReplicationLag datapoint"),
            "{}",
            lag.note
        );
    }

    #[test]
    fn the_preferred_metric_wins_when_known_else_the_next() {
        let now = DateTime::from_secs(NOW);
        let rpo_missing = lag_from(LagMetric::AuroraRpoLag, &[], now);
        let replication = lag_from(LagMetric::AuroraReplicationLag, &[(at(10), 900.0)], now);
        assert_eq!(
            pick(vec![rpo_missing.clone(), replication]).metric,
            "AuroraGlobalDBReplicationLag"
        );
        let none = lag_from(LagMetric::AuroraReplicationLag, &[], now);
        assert_eq!(pick(vec![rpo_missing, none]).metric, "AuroraGlobalDBRPOLag");
    }

    #[test]
    fn aurora_metrics_are_asked_with_and_without_the_source_region_replica_lag_without() {
        let asked = queries_for(
            &[LagMetric::AuroraRpoLag, LagMetric::AuroraReplicationLag],
            Some("us-east-1"),
        );
        assert_eq!(
            asked,
            [
                (LagMetric::AuroraRpoLag, None),
                (LagMetric::AuroraRpoLag, Some("us-east-1")),
                (LagMetric::AuroraReplicationLag, None),
                (LagMetric::AuroraReplicationLag, Some("us-east-1")),
            ]
        );
        assert_eq!(
            queries_for(&[LagMetric::ReplicaLag], Some("us-east-1")),
            [(LagMetric::ReplicaLag, None)]
        );
    }
}
