//! What the event asks to create: an instance, or an Aurora cluster and its
//! writer; and which field names the source database.

use super::{RawRequest, Target, check};
use crate::error::Error;
use crate::validate;

/// The target, and the source database the event names for it (lower-cased).
pub(super) fn decide(raw: &RawRequest) -> Result<(Target, Option<String>), Error> {
    // RDS stores identifiers in lower case: compare, allow and tag them so.
    let identifier = |field: &str, id: &Option<String>| -> Result<Option<String>, Error> {
        match id {
            Some(id) => {
                check(field, validate::db_instance_identifier(id))?;
                Ok(Some(id.to_ascii_lowercase()))
            }
            None => Ok(None),
        }
    };
    let cluster_only = [
        ("source_db_cluster", raw.source_db_cluster.is_some()),
        ("writer_instance", raw.writer_instance.is_some()),
        (
            "db_cluster_parameter_group",
            raw.db_cluster_parameter_group.is_some(),
        ),
        (
            "serverless_v2_capacity",
            raw.serverless_v2_capacity.is_some(),
        ),
    ];
    Ok(
        match (
            identifier("db_instance", &raw.db_instance)?,
            identifier("db_cluster", &raw.db_cluster)?,
        ) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "db_cluster",
                    "cannot be given with db_instance: restore either an instance or an Aurora cluster",
                ));
            }
            (None, None) => {
                return Err(Error::invalid(
                    "db_instance",
                    "is required (or db_cluster, for an Aurora cluster; or standby, to promote a read \
                     replica or an Aurora global secondary)",
                ));
            }
            (Some(instance), None) => {
                if let Some((field, _)) = cluster_only.iter().find(|(_, given)| *given) {
                    return Err(Error::invalid(
                        *field,
                        "applies to an Aurora cluster only (db_cluster), not to db_instance",
                    ));
                }
                (
                    Target::Instance(instance),
                    identifier("source_db_instance", &raw.source_db_instance)?,
                )
            }
            (None, Some(cluster)) => {
                for (field, given) in [
                    ("source_db_instance", raw.source_db_instance.is_some()),
                    ("option_group", raw.option_group.is_some()),
                    ("multi_az", raw.multi_az.is_some()),
                ] {
                    if given {
                        return Err(Error::invalid(
                            field,
                            "does not apply to an Aurora cluster (use source_db_cluster for its source; \
                         Aurora spreads its storage across zones by itself)",
                        ));
                    }
                }
                let writer = match identifier("writer_instance", &raw.writer_instance)? {
                    Some(writer) => writer,
                    None => {
                        let writer = format!("{cluster}-writer");
                        check("writer_instance", validate::db_instance_identifier(&writer)).map_err(
                        |_| {
                            Error::invalid(
                                "writer_instance",
                                format!(
                                    "is required: the default '{writer}' is longer than 63 characters"
                                ),
                            )
                        },
                    )?;
                        writer
                    }
                };
                if writer == cluster {
                    return Err(Error::invalid(
                        "writer_instance",
                        "must differ from db_cluster",
                    ));
                }
                (
                    Target::Cluster {
                        id: cluster,
                        writer,
                    },
                    identifier("source_db_cluster", &raw.source_db_cluster)?,
                )
            }
        },
    )
}
