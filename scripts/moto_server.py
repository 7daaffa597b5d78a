"""Starts moto's server for the demo and the tests, with its Step Functions
interpreter on and six of its deviations from AWS corrected, so that
statemachine/recovery.asl.json runs for real against moto and our binaries.

Relies on moto 5.2.5 (requirements-dev.txt pins it): the names patched below
are its, and may move in another version. Test-only: nothing here ships.

What each correction corrects:

1. Parameter and result names of `aws-sdk:` integrations. Step Functions
   takes and returns the Java SDK's member names (`DbInstanceIdentifier`,
   `DbInstances[0].DbInstanceStatus`). moto's port leaves its
   `_normalise_parameters` / `_normalise_response` empty, so those names
   reach boto3 unchanged and fail. They are filled in here with the port's
   own `_to_boto_request` / `_from_boto_response`, given botocore's input and
   output shapes of the operation.
2. JSONPath. For `$.DbInstances[0].DbInstanceStatus` the port answers
   `["available"]` (a change made for moto issue 7825); Step Functions
   answers `"available"`. The 7825 condition is dropped.
3. Lambda tasks. The port calls the Lambda API, which moto can run only in
   Docker. They go to the real binaries instead, through cargo lambda's
   Invoke API at $DR_LAMBDA_URL, with its function errors (HTTP 500) put
   back into the Lambda API's shape (200 + FunctionError). For the retry
   scenario, a test may ask for
   one synthetic function error first ($DR_LAMBDA_INJECT, a JSON file:
   {"<function>": ["<errorType>", ...]}, consumed one per invocation); this
   stands for an error the function returns, not for a moto deviation.
6. The drill's validation function. The drill function invokes it through
   the Lambda API (the workflow never does), which moto runs only in
   Docker. `drill-validator` (the user's own function in a deployment) is
   answered here by a stub: valid, its newest record 90 s old; when the
   injection file asks for "Invalid", `{"valid": false}`; for "Huge", a
   valid answer of 300 KB (more than Step Functions takes); for any other
   name, that function error.
4. A promoted read replica. Real RDS clears the instance's
   `ReadReplicaSourceDBInstanceIdentifier` when `PromoteReadReplica`
   completes (and no longer lists it among its source's replicas); moto
   keeps both, so a promoted replica would read as a replica forever and a
   recovery from a standby would never become available. Both are cleared
   here, as RDS does at the end of the promotion (moto promotes at once).
5. A restore's explicit `false`. moto's instance and Aurora cluster
   restores copy the source's settings, then apply only the request's truthy
   values: an explicit `DeletionProtection=false` (what a drill sends, so
   that its cleanup can delete the copy) or `MultiAZ=false` is dropped, and
   the copy inherits the source's `true` (found by the drill of a plan,
   whose Aurora copy's delete was refused as protected). Real RDS applies
   what the request says. Those two are applied here.

7. For the overhead bench only ($DR_HOLD set, scripts/bench_overhead): moto
   creates every database at once, which measures nothing. An instance named
   in the JSON file $DR_HOLD ({"<identifier>": <epoch seconds T>}) reads
   `creating` until T, as a real restore would, so that the time between T
   and the workflow acting on it can be measured. Not a deviation corrected:
   a test instrument, off unless asked for.

Usage: moto_server.py -H 127.0.0.1 -p PORT (moto_server's own arguments).
"""

import datetime
import importlib
import io
import json
import os
import pkgutil
import sys
import threading
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

from moto.core.config import default_user_config
from moto.server import main as moto_main


def lambda_url():
    return os.environ.get("DR_LAMBDA_URL", "")


# A platform's Map invokes a function several times at once: the file is
# read, changed and written back under one lock, or a reader could meet it
# half-written.
INJECT_LOCK = threading.Lock()


def injected_error(function_name):
    """The next synthetic error a test asked for, if any (see 3. above)."""
    path = os.environ.get("DR_LAMBDA_INJECT")
    with INJECT_LOCK:
        if not path or not os.path.exists(path):
            return None
        with open(path) as f:
            pending = json.load(f)
        errors = pending.get(function_name) or []
        if not errors:
            return None
        error = errors.pop(0)
        with open(path, "w") as f:
            json.dump(pending, f)
        return error


class CargoLambda:
    """The one Lambda call the interpreter makes, Invoke, sent to cargo lambda.

    cargo lambda answers a function error with HTTP 500 and the error as the
    body; the Lambda API answers 200 with X-Amz-Function-Error. boto3 would
    turn the 500 into a ClientError that the interpreter cannot read (it
    fails with States.Runtime, KeyError 'RequestId'), so the answer is put
    back into the Lambda API's shape here.
    """

    def invoke(self, FunctionName, Payload=b"", **_):
        name = FunctionName.split(":")[-1]
        error = injected_error(name)
        if error is not None:
            body = json.dumps({"errorType": error, "errorMessage": f"injected by the test: {error}"})
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body.encode())}
        if isinstance(Payload, str):
            Payload = Payload.encode()
        request = urllib.request.Request(
            f"{lambda_url()}/2015-03-31/functions/{name}/invocations", data=Payload, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return {"StatusCode": 200, "Payload": io.BytesIO(response.read())}
        except urllib.error.HTTPError as failed:
            body = failed.read()
            try:
                is_function_error = "errorType" in json.loads(body)
            except ValueError:
                is_function_error = False
            if not is_function_error:
                raise
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body)}


def boto_client_for(region, service, state_credentials=None):
    if service == "lambda":
        return CargoLambda()
    port = os.environ["MOTO_PORT"]
    return boto3.client(
        service_name=service,
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=60,
            read_timeout=600,
        ),
    )


def patch():
    parser = importlib.import_module("moto.stepfunctions.parser")
    for module in pkgutil.walk_packages(parser.__path__, parser.__name__ + "."):
        try:
            importlib.import_module(module.name)
        except ImportError:
            pass  # parts of the port moto does not ship (LocalStack's analytics)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and hasattr(module, "boto_client_for"):
            module.boto_client_for = boto_client_for

    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )

    shapes = {}

    def operation_shapes(self):
        service = self._get_boto_service_name()
        action = self._get_boto_service_action()
        if (service, action) not in shapes:
            meta = boto3.client(service, region_name="us-east-1").meta
            model = meta.service_model.operation_model(meta.method_to_api_mapping[action])
            shapes[(service, action)] = (model.input_shape, model.output_shape)
        return shapes[(service, action)]

    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        input_shape, _ = operation_shapes(self)
        if input_shape is not None:
            self._to_boto_request(parameters, input_shape)

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):
        _, output_shape = operation_shapes(self)
        if output_shape is not None:
            self._from_boto_response(response, output_shape)

    aws_sdk.StateTaskServiceAwsSdk._normalise_parameters = normalise_parameters
    aws_sdk.StateTaskServiceAwsSdk._normalise_response = normalise_response

    from jsonpath_ng.ext import parse
    from jsonpath_ng.jsonpath import Index

    from moto.stepfunctions.parser.asl.utils import json_path

    def extract_json(path, data):
        matches = parse(path).find(data)
        if not matches:
            if json_path._contains_slice_or_wildcard_array(path):
                return []
            raise json_path.NoSuchJsonPathError(json_path=path, data=data)
        if len(matches) > 1 or isinstance(matches[0].path, Index):
            value = [match.value for match in matches]
            if json_path._is_singleton_array_access(path=path) and len(value) == 1:
                value = value[0]
            return value
        return matches[0].value

    json_path.extract_json = extract_json
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "extract_json", None) is not None:
            module.extract_json = extract_json


def correct_promotion():
    from moto.rds.models import RDSBackend

    promote = RDSBackend.promote_read_replica

    def promote_read_replica(self, db_kwargs):
        database = promote(self, db_kwargs)
        source = getattr(database, "source_db_instance_identifier", None)
        if source:
            try:
                primary = self.find_db_from_id(source)
                primary.remove_replica(database)
            except Exception:  # the source was deleted, or is in another region
                pass
            database.source_db_instance_identifier = None
        return database

    RDSBackend.promote_read_replica = promote_read_replica


def correct_explicit_false():
    from moto.rds.models import RDSBackend

    def applying_false(restore, position, keys=("deletion_protection", "multi_az")):
        def restore_applying_false(self, *args, **kwargs):
            database = restore(self, *args, **kwargs)
            if position is None:  # the overrides are the keyword arguments themselves
                overrides = kwargs
            else:
                overrides = args[position] if len(args) > position else kwargs.get("overrides", {})
            for key in keys:
                if overrides.get(key) is False:
                    setattr(database, key, False)
            return database

        return restore_applying_false

    RDSBackend.restore_db_instance_from_db_snapshot = applying_false(
        RDSBackend.restore_db_instance_from_db_snapshot, 1
    )
    RDSBackend.restore_db_instance_to_point_in_time = applying_false(
        RDSBackend.restore_db_instance_to_point_in_time, 2
    )
    RDSBackend.restore_db_cluster_from_snapshot = applying_false(
        RDSBackend.restore_db_cluster_from_snapshot, 1, ("deletion_protection",)
    )
    RDSBackend.restore_db_cluster_to_point_in_time = applying_false(
        RDSBackend.restore_db_cluster_to_point_in_time, None, ("deletion_protection",)
    )


def stub_validator():
    """The drill's validation function, answered over moto's Lambda API (6. above)."""
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.invoke

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        if function_name.split(":")[-1] != "drill-validator":
            return original(self, function_name, qualifier, body, headers, response_headers)
        error = injected_error("drill-validator")
        newest = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=90)
        answer = {
            "valid": True,
            "detail": "stub validator (scripts/moto_server.py): connected, orders readable",
            "newest_record_at": newest.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if error == "Invalid":
            answer = {"valid": False, "detail": "injected by the test: the orders table is empty"}
        elif error == "Huge":
            answer["detail"] = "x" * (300 * 1024)
        elif error is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            answer = {"errorType": error, "errorMessage": f"injected by the test: {error}"}
        return json.dumps(answer).encode()

    LambdaBackend.invoke = invoke


def hold_databases():
    """7. above: an instance named in $DR_HOLD is `creating` until its time."""
    path = os.environ.get("DR_HOLD")
    if not path:
        return
    import time

    from moto.rds import models

    def held_until(identifier):
        try:
            with open(path) as f:
                return json.load(f).get(identifier)
        except (OSError, ValueError):
            return None

    def get_status(self):
        until = held_until(getattr(self, "db_instance_identifier", None))
        if until is not None and time.time() < until:
            return "creating"
        return self.__dict__.get("_held_status", "available")

    def set_status(self, value):
        self.__dict__["_held_status"] = value

    models.DBInstance.status = property(get_status, set_status)


def main():
    argv = sys.argv[1:]
    port = argv[argv.index("-p") + 1] if "-p" in argv else "5000"
    os.environ["MOTO_PORT"] = port
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    patch()
    correct_promotion()
    correct_explicit_false()
    stub_validator()
    hold_databases()
    moto_main(argv)


if __name__ == "__main__":
    main()
