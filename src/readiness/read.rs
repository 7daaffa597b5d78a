//! The reads the readiness check adds to the dry runs: only Describe, List
//! and Get calls. Each returns a plain fact; a refusal of the read is the
//! caller's failed check.

use aws_sdk_kms::operation::describe_key::DescribeKeyError;
use aws_sdk_rds::operation::describe_db_cluster_parameter_groups::DescribeDBClusterParameterGroupsError;
use aws_sdk_rds::operation::describe_db_instance_automated_backups::DescribeDBInstanceAutomatedBackupsError;
use aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDBParameterGroupsError;
use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDBSubnetGroupsError;
use aws_sdk_rds::operation::describe_option_groups::DescribeOptionGroupsError;

use super::checks::KeyState;
use crate::error::{Error, from_sdk};

/// Whether DB subnet group `name` exists.
pub async fn subnet_group_exists(rds: &aws_sdk_rds::Client, name: &str) -> Result<bool, Error> {
    match rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(!out.db_subnet_groups().is_empty()),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeDBSubnetGroupsError::DbSubnetGroupNotFoundFault(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(from_sdk("DescribeDBSubnetGroups", e)),
    }
}

/// Which of the security groups `ids` exist. Asked with the `group-id`
/// filter, which answers only those that exist (the `GroupIds` parameter
/// fails the whole call on the first missing one).
pub async fn security_groups_found(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<Vec<String>, Error> {
    let out = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .set_values(Some(ids.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("DescribeSecurityGroups", e))?;
    Ok(out
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .map(str::to_owned)
        .collect())
}

/// Whether the group of `kind` (as `checks::attached` names kinds) exists.
pub async fn group_exists(
    rds: &aws_sdk_rds::Client,
    kind: &str,
    name: &str,
) -> Result<bool, Error> {
    match kind {
        "parameter group" => match rds
            .describe_db_parameter_groups()
            .db_parameter_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(!out.db_parameter_groups().is_empty()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeDBParameterGroupsError::DbParameterGroupNotFoundFault(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(from_sdk("DescribeDBParameterGroups", e)),
        },
        "option group" => match rds
            .describe_option_groups()
            .option_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(!out.option_groups_list().is_empty()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeOptionGroupsError::OptionGroupNotFoundFault(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(from_sdk("DescribeOptionGroups", e)),
        },
        _ => match rds
            .describe_db_cluster_parameter_groups()
            .db_cluster_parameter_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(!out.db_cluster_parameter_groups().is_empty()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeDBClusterParameterGroupsError::DbParameterGroupNotFoundFault(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(from_sdk("DescribeDBClusterParameterGroups", e)),
        },
    }
}

/// The KMS key of the replicated automated backups `arn`, if encrypted.
pub async fn backups_key(rds: &aws_sdk_rds::Client, arn: &str) -> Result<Option<String>, Error> {
    match rds
        .describe_db_instance_automated_backups()
        .db_instance_automated_backups_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .db_instance_automated_backups()
            .first()
            .filter(|b| b.encrypted() == Some(true))
            .and_then(|b| b.kms_key_id())
            .map(str::to_owned)),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(
                    DescribeDBInstanceAutomatedBackupsError::DbInstanceAutomatedBackupNotFoundFault(
                        _
                    )
                )
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(from_sdk("DescribeDBInstanceAutomatedBackups", e)),
    }
}

/// The state of KMS key `id` in the client's region.
pub async fn key_state(kms: &aws_sdk_kms::Client, id: &str) -> Result<KeyState, Error> {
    match kms.describe_key().key_id(id).send().await {
        Ok(out) => Ok(KeyState::Known(
            out.key_metadata()
                .and_then(|m| m.key_state())
                .map_or("unknown", |s| s.as_str())
                .to_owned(),
        )),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(DescribeKeyError::NotFoundException(_))
            ) =>
        {
            Ok(KeyState::NotFound)
        }
        Err(e) => Err(from_sdk("DescribeKey", e)),
    }
}

/// The value of CNAME `name` in hosted zone `zone`, if it has one.
pub async fn cname(
    route53: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
) -> Result<Option<String>, Error> {
    let out = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .start_record_type(aws_sdk_route53::types::RrType::Cname)
        .max_items(1)
        .send()
        .await
        .map_err(|e| from_sdk("ListResourceRecordSets", e))?;
    let wanted = format!("{}.", name.trim_end_matches('.'));
    Ok(out
        .resource_record_sets()
        .iter()
        .find(|r| {
            r.name().eq_ignore_ascii_case(&wanted)
                && r.r#type() == &aws_sdk_route53::types::RrType::Cname
        })
        .and_then(|r| r.resource_records().first())
        .map(|v| v.value().to_owned()))
}

/// The account's RDS quotas in the client's region, by name
/// (`DBInstances`, `DBClusters`, ...): `(max, used)`.
pub async fn quotas(
    rds: &aws_sdk_rds::Client,
) -> Result<std::collections::BTreeMap<String, (i64, i64)>, Error> {
    let out = rds
        .describe_account_attributes()
        .send()
        .await
        .map_err(|e| from_sdk("DescribeAccountAttributes", e))?;
    Ok(out
        .account_quotas()
        .iter()
        .filter_map(|q| Some((q.account_quota_name()?.to_owned(), (q.max()?, q.used()?))))
        .collect())
}

/// The first execution of `state_machine` that is running, if any.
pub async fn running_execution(
    sfn: &aws_sdk_sfn::Client,
    state_machine: &str,
) -> Result<Option<String>, Error> {
    let out = sfn
        .list_executions()
        .state_machine_arn(state_machine)
        .status_filter(aws_sdk_sfn::types::ExecutionStatus::Running)
        .max_results(1)
        .send()
        .await
        .map_err(|e| from_sdk("ListExecutions", e))?;
    Ok(out.executions().first().map(|e| e.name().to_owned()))
}
