"""Unit tests of terraform/scripts: the preflight's verdicts on account settings (stubbed
responses of the Lambda API), and emptying a versioned bucket (moto in-process).

Run: python -m unittest discover -s terraform/tests -p 'test_*.py'
"""

import os
import sys
import unittest
from unittest import mock

import boto3
from botocore.stub import Stubber
from moto import mock_aws

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
import prepare_destroy  # noqa: E402
import preflight  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import check_routes  # noqa: E402


def plan(maximum: int, reserved: int) -> dict:
    return {
        "resource_changes": [
            {
                "address": "module.processor.aws_lambda_function.this",
                "change": {"after": {"function_name": "p", "reserved_concurrent_executions": reserved}},
            },
            {
                "address": "aws_lambda_event_source_mapping.processor",
                "change": {"after": {"scaling_config": [{"maximum_concurrency": maximum}]}},
            },
        ]
    }


def verdict(maximum: int, reserved: int, limit: int, unreserved: int, held: int | None = None) -> list[str]:
    lam = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(lam) as stub:
        stub.add_response(
            "get_account_settings",
            {"AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved}},
        )
        if held is None:
            stub.add_client_error("get_function_concurrency", "ResourceNotFoundException")
        else:
            stub.add_response("get_function_concurrency", {"ReservedConcurrentExecutions": held})
        return preflight.check(plan(maximum, reserved), lam)


def template(maximum: int, reserved: int | None) -> dict:
    function = {"FunctionName": "p-processor"}
    if reserved is not None:
        function["ReservedConcurrentExecutions"] = reserved
    return {
        "Resources": {
            "F": {"Type": "AWS::Lambda::Function", "Properties": function},
            "T": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "p-trigger"}},
            "M": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"ScalingConfig": {"MaximumConcurrency": maximum}}},
        }
    }


class Preflight(unittest.TestCase):
    def test_a_cdk_template_asks_what_the_plan_asks(self):
        self.assertEqual(preflight.asked(template(5, None)), ("p-processor", -1, 5))
        self.assertEqual(preflight.asked(template(20, 50)), ("p-processor", 50, 20))
        self.assertEqual(preflight.asked(plan(20, 50)), ("p", 50, 20))

    def test_the_defaults_fit_a_new_account(self):
        self.assertEqual(verdict(maximum=5, reserved=-1, limit=10, unreserved=10), [])

    def test_a_mapping_above_a_new_accounts_limit_is_refused_with_the_fix(self):
        problems = verdict(maximum=20, reserved=-1, limit=10, unreserved=10)
        self.assertEqual(len(problems), 1)
        self.assertIn("maximum_concurrency = 20", problems[0])
        self.assertIn("to 10 or less", problems[0])
        self.assertIn("get-account-settings", problems[0])

    def test_a_reservation_a_new_account_cannot_make_is_refused(self):
        problems = verdict(maximum=5, reserved=50, limit=10, unreserved=10)
        self.assertTrue(any("processor_reserved_concurrency = 50" in p and "-1 for none" in p for p in problems), problems)

    def test_a_reservation_counts_what_the_function_already_holds(self):
        # 1000 in all, 950 unreserved because the processor already holds 50: 50 still fits.
        self.assertEqual(verdict(maximum=20, reserved=50, limit=1000, unreserved=950, held=50), [])
        self.assertNotEqual(verdict(maximum=20, reserved=901, limit=1000, unreserved=950, held=50), [])

    def test_a_mapping_above_the_reservation_is_refused(self):
        problems = verdict(maximum=60, reserved=50, limit=1000, unreserved=1000)
        self.assertTrue(any("maximum_concurrency = 60" in p for p in problems), problems)


@mock_aws
class EmptyBucket(unittest.TestCase):
    def test_every_version_and_delete_marker_goes(self):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="pipeline-bucket")
        s3.put_bucket_versioning(Bucket="pipeline-bucket", VersioningConfiguration={"Status": "Enabled"})
        for i in range(3):
            s3.put_object(Bucket="pipeline-bucket", Key="uploads/a.jpg", Body=b"x" * i)
        s3.put_object(Bucket="pipeline-bucket", Key="processed/a/thumb.jpg", Body=b"y")
        s3.delete_object(Bucket="pipeline-bucket", Key="uploads/a.jpg")  # leaves a delete marker
        self.assertEqual(prepare_destroy.empty_bucket(s3, "pipeline-bucket"), 5)
        versions = s3.list_object_versions(Bucket="pipeline-bucket")
        self.assertEqual(versions.get("Versions", []) + versions.get("DeleteMarkers", []), [])
        s3.delete_bucket(Bucket="pipeline-bucket")  # refused if anything were left

    def test_a_missing_bucket_is_already_empty(self):
        s3 = boto3.client("s3", region_name="us-east-1")
        self.assertEqual(prepare_destroy.empty_bucket(s3, "gone"), 0)

    def test_a_write_that_lands_after_the_first_pass_is_deleted_too(self):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="late")
        s3.put_object(Bucket="late", Key="processed/a/thumb.jpg", Body=b"y")
        # One straggler after the first pass, one after the first quiet pass.
        late_writes = iter(["processed/b/thumb.jpg", None, "processed/c/thumb.jpg"])

        def sleep_while_a_straggler_writes(_seconds):
            key = next(late_writes, None)
            if key is not None:
                s3.put_object(Bucket="late", Key=key, Body=b"z")

        with mock.patch.object(prepare_destroy.time, "sleep", sleep_while_a_straggler_writes):
            prepare_destroy.empty_until_quiet(s3, "late")
        s3.delete_bucket(Bucket="late")  # refused if the straggler's object were left

    def test_a_bucket_that_never_stays_empty_stops_the_script(self):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="busy")
        writes = iter(range(100))

        def sleep_while_something_keeps_writing(_seconds):
            s3.put_object(Bucket="busy", Key=f"k{next(writes)}", Body=b"z")

        with mock.patch.object(prepare_destroy.time, "sleep", sleep_while_something_keeps_writing):
            with self.assertRaises(SystemExit) as stopped:
                prepare_destroy.empty_until_quiet(s3, "busy")
        self.assertIn("keeps receiving objects", str(stopped.exception))


if __name__ == "__main__":
    unittest.main()


@mock_aws
class RouteCheckTest(unittest.TestCase):
    """check_routes runs the real function (node) over objects in a moto bucket."""

    RENDITIONS = "thumb:200x200:cover:jpeg+webp,medium:800x800:webp"

    def setUp(self):
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.s3.create_bucket(Bucket="renditions")
        for key, content_type in [
            ("out/uploads/cat/thumb.jpg", "image/jpeg"),
            ("out/uploads/cat/thumb.webp", "image/webp"),
            ("out/uploads/cat/medium.webp", "image/webp"),
        ]:
            self.s3.put_object(Bucket="renditions", Key=key, Body=b"x", ContentType=content_type)

    def test_every_browser_is_routed_to_an_object_of_its_type(self):
        self.assertEqual(check_routes.check(self.s3, "renditions", "out/", self.RENDITIONS), [])

    def test_a_missing_format_is_found(self):
        self.s3.delete_object(Bucket="renditions", Key="out/uploads/cat/thumb.webp")
        problems = check_routes.check(self.s3, "renditions", "out/", self.RENDITIONS)
        # Chrome, Safari, Firefox and the WebView ask for WebP; curl gets the JPEG.
        self.assertEqual(len(problems), 4, problems)
        self.assertTrue(all("thumb.webp: no such object" in p for p in problems))

    def test_a_wrong_content_type_is_found(self):
        self.s3.put_object(Bucket="renditions", Key="out/uploads/cat/medium.webp", Body=b"x", ContentType="image/jpeg")
        problems = check_routes.check(self.s3, "renditions", "out/", self.RENDITIONS)
        self.assertEqual(len(problems), len(check_routes.CLIENTS), problems)

    def test_no_renditions_is_a_problem(self):
        self.assertEqual(len(check_routes.check(self.s3, "renditions", "elsewhere/", self.RENDITIONS)), 1)

