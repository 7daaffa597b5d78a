//! The imperative shell of the routing-control mode: the only code that
//! talks to the ARC cluster's data plane (`route53-recovery-cluster`).
//!
//! The cluster has one endpoint in each of five regions, and AWS keeps at
//! least three of them up. Every call tries them in random order, each
//! signed for its own region, and moves on when one cannot be reached, times
//! out, or answers `EndpointTemporarilyUnavailableException` (or throttles);
//! only when all fail is the call a `ServiceUnavailable` that names them.
//! No call here, or anywhere in this mode, goes to the Route 53 control
//! plane in us-east-1.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_route53recoverycluster::Client;
use aws_sdk_route53recoverycluster::config::Region;
use aws_sdk_route53recoverycluster::config::http::HttpResponse;
use aws_sdk_route53recoverycluster::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53recoverycluster::operation::update_routing_control_states::UpdateRoutingControlStatesError;
use aws_sdk_route53recoverycluster::types::error::ConflictException;
use aws_sdk_route53recoverycluster::types::{RoutingControlState, UpdateRoutingControlStateEntry};
use tracing::{info, warn};

use super::plan::{ControlDiff, State};
use crate::aws::SdkSettings;
use crate::error::{AwsFailure, Error, from_sdk};
use crate::runtime::Invocation;

/// Time an endpoint attempt needs at least; with less left, the rotation stops.
const MIN_ATTEMPT: Duration = Duration::from_millis(500);

/// One regional endpoint of the cluster, with its own client.
struct Endpoint {
    region: String,
    url: String,
    client: Client,
}

/// The ARC cluster's endpoints, each with a client built once at init.
pub struct ArcCluster {
    endpoints: Vec<Endpoint>,
}

/// What one endpoint's answer means for the rotation.
enum Attempt {
    /// Try the next endpoint; why this one failed.
    Next { why: String, throttled: bool },
    /// Stop: this is the answer.
    Stop(Error),
}

impl ArcCluster {
    /// A client per endpoint: its URL, signed for its region. The SDK does
    /// not retry (one attempt each, within `settings`' attempt time-out):
    /// moving to the next endpoint is the retry.
    pub fn new(
        sdk: &SdkConfig,
        endpoints: &BTreeMap<String, String>,
        settings: &SdkSettings,
    ) -> Self {
        let base = aws_sdk_route53recoverycluster::config::Builder::from(sdk)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(settings.attempt_timeout)
                    .operation_attempt_timeout(settings.attempt_timeout)
                    .connect_timeout(settings.connect_timeout)
                    .build(),
            );
        ArcCluster {
            endpoints: endpoints
                .iter()
                .map(|(region, url)| Endpoint {
                    region: region.clone(),
                    url: url.clone(),
                    client: Client::from_conf(
                        base.clone()
                            .endpoint_url(url)
                            .region(Region::new(region.clone()))
                            .build(),
                    ),
                })
                .collect(),
        }
    }

    /// The state of each routing control, in order.
    pub async fn states(
        &self,
        arns: &[&str],
        invocation: &Invocation,
    ) -> Result<Vec<State>, Error> {
        let mut states = Vec::new();
        for arn in arns {
            let arn = (*arn).to_owned();
            let state = self
                .rotate("GetRoutingControlState", invocation, |client| {
                    let arn = arn.clone();
                    async move {
                        client
                            .get_routing_control_state()
                            .routing_control_arn(&arn)
                            .send()
                            .await
                            .map(|out| out.routing_control_state().clone())
                            .map_err(|e| classify("GetRoutingControlState", e))
                    }
                })
                .await?;
            states.push(match state {
                RoutingControlState::On => State::On,
                RoutingControlState::Off => State::Off,
                other => {
                    return Err(Error::Internal {
                        detail: format!("ARC reported an unknown routing control state {other:?}"),
                    });
                }
            });
        }
        Ok(states)
    }

    /// Sets every change in ONE `UpdateRoutingControlStates` call, so that
    /// ARC's safety rules judge them together.
    pub async fn update(
        &self,
        changes: &[ControlDiff],
        overrides: &[String],
        invocation: &Invocation,
    ) -> Result<(), Error> {
        let entries = changes
            .iter()
            .map(|c| {
                UpdateRoutingControlStateEntry::builder()
                    .routing_control_arn(&c.routing_control_arn)
                    .routing_control_state(match c.after {
                        State::On => RoutingControlState::On,
                        State::Off => RoutingControlState::Off,
                    })
                    .build()
                    .map_err(|e| Error::Internal {
                        detail: format!("a routing control update could not be built: {e}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.rotate("UpdateRoutingControlStates", invocation, |client| {
            let entries = entries.clone();
            let overrides = overrides.to_vec();
            async move {
                client
                    .update_routing_control_states()
                    .set_update_routing_control_state_entries(Some(entries))
                    .set_safety_rules_to_override((!overrides.is_empty()).then_some(overrides))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| match e.as_service_error() {
                        Some(UpdateRoutingControlStatesError::ConflictException(c)) => conflict(c),
                        _ => classify("UpdateRoutingControlStates", e),
                    })
            }
        })
        .await
    }

    /// A cluster over clients already built, one per `(region, url)`: for
    /// tests that stand an SDK mock in for an endpoint.
    pub fn from_clients(endpoints: Vec<(String, String, Client)>) -> Self {
        ArcCluster {
            endpoints: endpoints
                .into_iter()
                .map(|(region, url, client)| Endpoint {
                    region,
                    url,
                    client,
                })
                .collect(),
        }
    }

    /// Runs `call` against the endpoints in random order until one answers.
    async fn rotate<T, F, Fut>(
        &self,
        operation: &'static str,
        invocation: &Invocation,
        call: F,
    ) -> Result<T, Error>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, Attempt>>,
    {
        let mut tried = Vec::new();
        let mut all_throttled = true;
        for i in order(self.endpoints.len(), &invocation.request_id) {
            let endpoint = &self.endpoints[i];
            if invocation
                .remaining()
                .is_some_and(|left| left < MIN_ATTEMPT)
            {
                tried.push(format!(
                    "the invocation's time budget ran out before {}",
                    endpoint.region
                ));
                all_throttled = false;
                break;
            }
            match call(endpoint.client.clone()).await {
                Ok(answer) => {
                    info!(operation, endpoint = %endpoint.url, region = %endpoint.region, "ARC cluster endpoint answered");
                    return Ok(answer);
                }
                Err(Attempt::Stop(error)) => return Err(error),
                Err(Attempt::Next { why, throttled }) => {
                    warn!(operation, endpoint = %endpoint.url, region = %endpoint.region, why = %why, "ARC cluster endpoint failed; trying the next");
                    all_throttled &= throttled;
                    tried.push(format!("{} ({}): {why}", endpoint.region, endpoint.url));
                }
            }
        }
        let failure = AwsFailure {
            operation,
            code: None,
            message: format!(
                "no endpoint of the ARC cluster answered; tried {}",
                tried.join("; ")
            ),
            source: "every ARC cluster endpoint failed".into(),
        };
        Err(if all_throttled && !tried.is_empty() {
            Error::Throttled(failure)
        } else {
            Error::ServiceUnavailable(failure)
        })
    }
}

/// A random order of `n` endpoints, as AWS advises, from the request id and
/// the clock (no randomness crate for one shuffle).
fn order(n: usize, request_id: &str) -> Vec<usize> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut state = request_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64 ^ u64::from(nanos), |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
        | 1;
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = (state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// The safety rule ARNs a message names.
fn safety_rules(message: &str) -> Vec<String> {
    message
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '[' | ']' | '(' | ')'))
        .filter(|w| w.starts_with("arn:") && w.contains("/safetyrule/"))
        .map(|w| w.trim_end_matches(['.', ';', ':']).to_owned())
        .collect()
}

/// What a `ConflictException` on an update means: a safety rule's refusal
/// when it names one, else a passing conflict worth another endpoint.
///
/// ARC documents that a safety rule's refusal names the rule's ARN in its
/// message; the exception's `resourceId` is read too, when it is itself a
/// safety rule's ARN (a message may name the rule without it). A refusal
/// must not be retried on four more endpoints and answered as retryable.
fn conflict(c: &ConflictException) -> Attempt {
    let message = c.message().to_owned();
    let rules = conflict_rules(c.resource_id(), &message);
    if rules.is_empty() {
        Attempt::Next {
            why: format!("ConflictException: {message}"),
            throttled: false,
        }
    } else {
        Attempt::Stop(Error::SafetyRuleViolation { rules, message })
    }
}

/// The safety rule ARNs a conflict names: those of its message, then its
/// resource when that is a safety rule's ARN. Only ARNs: what the caller
/// may pass back as `safety_rules_to_override`.
fn conflict_rules(resource_id: &str, message: &str) -> Vec<String> {
    let mut rules = safety_rules(message);
    if resource_id.starts_with("arn:")
        && resource_id.contains("/safetyrule/")
        && !rules.iter().any(|r| r == resource_id)
    {
        rules.push(resource_id.to_owned());
    }
    rules
}

/// Sorts one endpoint's failure: next endpoint, or the answer.
fn classify<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Attempt
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if matches!(
        err,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_)
    ) {
        let why = match &err {
            SdkError::TimeoutError(_) => "timed out".to_owned(),
            SdkError::ResponseError(_) => "answered with an unreadable response".to_owned(),
            _ => "could not be reached".to_owned(),
        };
        return Attempt::Next {
            why,
            throttled: false,
        };
    }
    let code = err.code().unwrap_or_default().to_owned();
    let message = err.message().unwrap_or_default().to_owned();
    let server_fault = err
        .raw_response()
        .is_some_and(|r| r.status().is_server_error());
    match code.as_str() {
        // AWS: "The cluster endpoint isn't available. Try another cluster endpoint."
        "EndpointTemporarilyUnavailableException" | "InternalServerException" => Attempt::Next {
            why: format!("{code}: {message}"),
            throttled: false,
        },
        "ThrottlingException" => Attempt::Next {
            why: format!("{code}: {message}"),
            throttled: true,
        },
        // Which exception ARC uses for a safety rule is not documented; its
        // message names the rule's ARN, which is what is matched here.
        "ConflictException" | "ValidationException" if !safety_rules(&message).is_empty() => {
            Attempt::Stop(Error::SafetyRuleViolation {
                rules: safety_rules(&message),
                message,
            })
        }
        // A conflict that names no rule: the model's advice is "try again",
        // and another endpoint is the nearest place to.
        "ConflictException" => Attempt::Next {
            why: format!("{code}: {message}"),
            throttled: false,
        },
        "ResourceNotFoundException" => Attempt::Stop(Error::Misconfigured {
            variable: "ROUTING_CONTROLS",
            reason: format!("names a routing control the ARC cluster does not know ({message})"),
        }),
        // An unmodeled 5xx is this endpoint's trouble, not the request's.
        _ if server_fault => Attempt::Next {
            why: format!("HTTP 5xx: {code} {message}").trim_end().to_owned(),
            throttled: false,
        },
        _ => Attempt::Stop(from_sdk(operation, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_in_the_order_once() {
        let mut o = order(5, "req-1");
        o.sort_unstable();
        assert_eq!(o, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn safety_rule_arns_are_read_out_of_a_message() {
        let message = "Failed: the change would violate safety rule \
            arn:aws:route53-recovery-control::123456789012:controlpanel/cp/safetyrule/min-one-on.";
        assert_eq!(
            safety_rules(message),
            [
                "arn:aws:route53-recovery-control::123456789012:controlpanel/cp/safetyrule/min-one-on"
            ]
        );
        assert!(safety_rules("Conflict occurred; please retry").is_empty());
    }

    const RULE: &str =
        "arn:aws:route53-recovery-control::123456789012:controlpanel/cp/safetyrule/min-one-on";

    #[test]
    fn a_conflicts_resource_that_is_a_rule_arn_is_read_beside_its_message() {
        assert_eq!(
            conflict_rules(RULE, "violates safety rule min-one-on"),
            [RULE]
        );
        assert_eq!(conflict_rules(RULE, &format!("violates {RULE}.")), [RULE]);
    }

    #[test]
    fn only_arns_are_taken_for_rules() {
        // A bare name could not be passed back as safety_rules_to_override.
        assert!(conflict_rules("min-one-on", "violates min-one-on").is_empty());
        assert_eq!(conflict_rules("rc-1", &format!("violates {RULE}.")), [RULE]);
        assert!(conflict_rules("rc-1", "Try again.").is_empty());
    }
}
