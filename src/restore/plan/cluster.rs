//! The cluster target: an Aurora cluster restored, and its writer created.

use super::*;
use crate::restore::cluster::ClusterOrigin;

pub(super) fn plan_cluster(
    req: &RestoreRequest,
    cluster_id: &str,
    writer_id: &str,
    resolved: &Resolved,
    source: &SourceFacts,
    recorded: Recorded,
    request_id: &str,
) -> Result<RestorePlan, Error> {
    let src = source.cluster.as_ref();
    let copied_tags = match resolved {
        Resolved::Snapshot(snapshot) => src.map_or(snapshot.tags.as_slice(), |s| s.tags.as_slice()),
        _ => src.map_or(&[][..], |s| s.tags.as_slice()),
    };
    let own = tags::own_tags(req, &recorded, request_id);
    let tags = tags::merge(copied_tags, req, own);
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let (engine, serverless, same_family) = match resolved {
        Resolved::Resumed(cluster) => (
            {
                let asked = req.overrides.serverless_v2_capacity.map(|c| (c.min, c.max));
                if let Some((min, max)) =
                    asked.filter(|range| cluster.serverless_v2 != Some(*range))
                {
                    notes.push(format!(
                        "cluster '{cluster_id}' exists already (an earlier attempt of this \
                         request): the event's capacity range {min}-{max} ACUs is not applied \
                         to it"
                    ));
                }
                cluster.engine.clone()
            },
            cluster.serverless_v2.is_some(),
            crate::restore::cluster::fits(
                src,
                &Baseline {
                    engine: cluster.engine.clone(),
                    engine_version: cluster.engine_version.clone(),
                    ..Baseline::default()
                },
            ),
        ),
        Resolved::Snapshot(snapshot) => {
            let settled = crate::restore::cluster::settings(
                &req.overrides,
                &snapshot.baseline,
                src,
                &req.region,
            )?;
            let engine = snapshot
                .baseline
                .engine
                .clone()
                .ok_or_else(|| Error::Internal {
                    detail: format!(
                        "RDS reported no engine for cluster snapshot '{}'",
                        snapshot.id
                    ),
                })?;
            let serverless = settled
                .settings
                .serverless_v2_scaling_configuration
                .is_some();
            notes.extend(settled.notes);
            steps.push(Step::ClusterFromSnapshot(ClusterFromSnapshot {
                db_cluster_identifier: cluster_id.to_owned(),
                snapshot_identifier: snapshot.id.clone(),
                engine: engine.clone(),
                engine_version: settled.engine_version,
                settings: ClusterSettings {
                    tags: tags.clone(),
                    ..settled.settings
                },
            }));
            (
                Some(engine),
                serverless,
                crate::restore::cluster::fits(src, &snapshot.baseline),
            )
        }
        Resolved::PointInTime { from, baseline, .. } => {
            let PitrFrom::Cluster(source_cluster) = from else {
                return Err(Error::Internal {
                    detail: "an instance point in time for a cluster target".to_owned(),
                });
            };
            let settled =
                crate::restore::cluster::settings(&req.overrides, baseline, src, &req.region)?;
            let serverless = settled
                .settings
                .serverless_v2_scaling_configuration
                .is_some();
            notes.extend(settled.notes);
            let (latest, at) = time_fields(req);
            steps.push(Step::ClusterToPointInTime(ClusterToPointInTime {
                db_cluster_identifier: cluster_id.to_owned(),
                source_db_cluster_identifier: source_cluster.clone(),
                restore_to_time: at,
                use_latest_restorable_time: latest,
                settings: ClusterSettings {
                    tags: tags.clone(),
                    ..settled.settings
                },
            }));
            (baseline.engine.clone(), serverless, true)
        }
    };
    let engine = engine.ok_or_else(|| Error::Internal {
        detail: format!("no engine known for the writer of cluster '{cluster_id}'"),
    })?;
    let source_writer = source.instance.as_ref();
    let class = crate::restore::cluster::writer_class(&req.overrides, source_writer, serverless)?;
    let origin = match resolved {
        Resolved::Resumed(_) => ClusterOrigin::Existing(cluster_id),
        Resolved::Snapshot(_) | Resolved::PointInTime { .. } => ClusterOrigin::Planned,
    };
    crate::restore::cluster::capacity_guard(&class, serverless, origin)?;
    steps.push(Step::Writer(Writer {
        db_instance_identifier: writer_id.to_owned(),
        db_cluster_identifier: cluster_id.to_owned(),
        engine,
        db_instance_class: class,
        db_parameter_group_name: crate::restore::cluster::writer_parameter_group(
            &req.overrides,
            source_writer,
            same_family,
        ),
        // Never public unless the source writer was, or the event says so.
        publicly_accessible: req
            .overrides
            .publicly_accessible
            .or_else(|| source_writer.and_then(|w| w.publicly_accessible))
            .unwrap_or(false),
        tags,
    }));
    Ok(RestorePlan {
        steps,
        notes,
        recorded,
    })
}
