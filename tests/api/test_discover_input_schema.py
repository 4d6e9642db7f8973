"""DiscoverInputSchema through boto3: a Kinesis stream and an S3 object read through the same endpoint."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.app_helpers import aws_error
from tests.conftest import LiveServer

ROLE = "arn:aws:iam::123456789012:role/discovery"
ACCOUNT = "123456789012"
TICKS = [
    {"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": -1.25, "PRICE": 188.5, "VOLUME": 1200},
    {"TICKER_SYMBOL": "XOM", "SECTOR": "ENERGY", "CHANGE": 0.5, "PRICE": 101.0, "VOLUME": 80},
    {"TICKER_SYMBOL": "JPM", "SECTOR": "FINANCIAL", "CHANGE": 2, "PRICE": 150.25, "VOLUME": 3},
]
ENERGY_CSV = (
    "year,month,state,producer_type,energy_source,units,consumption\n"
    "2001,1,AK,TotalElectricPowerIndustry,Coal,ShortTons,47615\n"
    "2001,1,AK,ElectricGeneratorsElectricUtilities,Coal,ShortTons,16535\n"
    "2001,1,AL,TotalElectricPowerIndustry,Coal,ShortTons,3020601\n"
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stream_with(live_server: LiveServer, records: list[bytes], shards: int = 1) -> str:
    """A new stream in ACCOUNT holding ``records`` (in order on one shard); its ARN."""
    kinesis = live_server.client("kinesis", access_key=ACCOUNT)
    name = unique("ticks")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    for record in records:
        kinesis.put_record(StreamName=name, Data=record, PartitionKey="one")
    return f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}"


def discover(live_server: LiveServer, **request: Any) -> dict[str, Any]:
    answer: dict[str, Any] = live_server.client(access_key=ACCOUNT).discover_input_schema(
        ServiceExecutionRole=ROLE, **request
    )
    answer.pop("ResponseMetadata")
    return answer


def trim_horizon(arn: str) -> dict[str, Any]:
    return {
        "ResourceARN": arn,
        "InputStartingPositionConfiguration": {"InputStartingPosition": "TRIM_HORIZON"},
    }


def test_json_records_on_a_stream(live_server: LiveServer) -> None:
    raw = [json.dumps(tick) for tick in TICKS]
    answer = discover(live_server, **trim_horizon(stream_with(live_server, [r.encode() for r in raw])))
    assert answer["InputSchema"] == {
        "RecordFormat": {
            "RecordFormatType": "JSON",
            "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
        },
        "RecordEncoding": "UTF-8",
        "RecordColumns": [
            {"Name": "TICKER_SYMBOL", "Mapping": "$.TICKER_SYMBOL", "SqlType": "VARCHAR(4)"},
            {"Name": "SECTOR", "Mapping": "$.SECTOR", "SqlType": "VARCHAR(16)"},
            {"Name": "CHANGE", "Mapping": "$.CHANGE", "SqlType": "REAL"},
            {"Name": "PRICE", "Mapping": "$.PRICE", "SqlType": "REAL"},
            {"Name": "VOLUME", "Mapping": "$.VOLUME", "SqlType": "INTEGER"},
        ],
    }
    assert answer["RawInputRecords"] == raw
    assert answer["ProcessedInputRecords"] == raw
    assert answer["ParsedInputRecords"][0] == ["AMZN", "TECHNOLOGY", "-1.25", "188.5", "1200"]
    assert len(answer["ParsedInputRecords"]) == 3


def test_csv_object_in_s3(live_server: LiveServer) -> None:
    s3 = live_server.client("s3", access_key=ACCOUNT)
    bucket = unique("reference")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data/energy.csv", Body=ENERGY_CSV.encode())
    answer = discover(
        live_server, S3Configuration={"BucketARN": f"arn:aws:s3:::{bucket}", "FileKey": "data/energy.csv"}
    )
    assert answer["InputSchema"] == {
        "RecordFormat": {
            "RecordFormatType": "CSV",
            "MappingParameters": {
                "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}
            },
        },
        "RecordEncoding": "UTF-8",
        "RecordColumns": [
            {"Name": "COL_year", "SqlType": "INTEGER"},
            {"Name": "COL_month", "SqlType": "INTEGER"},
            {"Name": "state", "SqlType": "VARCHAR(4)"},
            {"Name": "producer_type", "SqlType": "VARCHAR(64)"},
            {"Name": "energy_source", "SqlType": "VARCHAR(4)"},
            {"Name": "units", "SqlType": "VARCHAR(16)"},
            {"Name": "consumption", "SqlType": "INTEGER"},
        ],
    }
    assert answer["RawInputRecords"] == ENERGY_CSV.splitlines()
    assert answer["ParsedInputRecords"] == [line.split(",") for line in ENERGY_CSV.splitlines()[1:]]


def test_binary_garbage_is_unable_to_detect_schema_with_the_raw_records(live_server: LiveServer) -> None:
    garbage = [bytes([0xFF, 0x00, 0x9C, 0x41, 0x10]), bytes(range(200, 256))]
    arn = stream_with(live_server, garbage)
    with pytest.raises(ClientError) as raised:
        discover(live_server, **trim_horizon(arn))
    response = raised.value.response
    assert response["Error"]["Code"] == "UnableToDetectSchemaException"
    assert "neither JSON nor delimited text" in response["Error"]["Message"]
    expected = [record.decode("utf-8", errors="replace") for record in garbage]
    assert response["RawInputRecords"] == expected
    assert response["ProcessedInputRecords"] == expected


def test_an_empty_stream_has_no_records_to_detect_a_schema_from(live_server: LiveServer) -> None:
    with aws_error("UnableToDetectSchemaException", "no records were found") as raised:
        discover(live_server, **trim_horizon(stream_with(live_server, [])))
    assert raised.value.response["RawInputRecords"] == []


def test_now_samples_only_records_that_arrive_after_the_call(live_server: LiveServer) -> None:
    arn = stream_with(live_server, [b"old,1,csv", b"old,2,csv"])
    kinesis = live_server.client("kinesis", access_key=ACCOUNT)
    done = threading.Event()

    def keep_putting() -> None:
        for index in range(200):  # bounded: at most 200 records, 50 ms apart
            if done.wait(0.05):
                return
            kinesis.put_record(
                StreamName=arn.rpartition("/")[2], Data=json.dumps({"n": index}), PartitionKey="p"
            )

    putter = threading.Thread(target=keep_putting)
    putter.start()
    try:
        answer = discover(
            live_server, ResourceARN=arn, InputStartingPositionConfiguration={"InputStartingPosition": "NOW"}
        )
    finally:
        done.set()
        putter.join(timeout=30)
    assert answer["InputSchema"]["RecordColumns"] == [{"Name": "n", "Mapping": "$.n", "SqlType": "INTEGER"}]
    assert answer["RawInputRecords"]
    assert not any(record.startswith("old") for record in answer["RawInputRecords"])


def test_sources_that_cannot_be_read_or_are_misnamed(live_server: LiveServer) -> None:
    stream_arn = stream_with(live_server, [b'{"a": 1}'])
    s3 = {"BucketARN": "arn:aws:s3:::no-such-bucket-here", "FileKey": "x.csv"}
    with aws_error("InvalidArgumentException", "either ResourceARN", "or S3Configuration"):
        discover(live_server)
    with aws_error("InvalidArgumentException", "either ResourceARN"):
        discover(live_server, S3Configuration=s3, **trim_horizon(stream_arn))
    with aws_error("InvalidArgumentException", "applies to a streaming source"):
        discover(
            live_server,
            S3Configuration=s3,
            InputStartingPositionConfiguration={"InputStartingPosition": "NOW"},
        )
    with aws_error(
        "InvalidArgumentException", "Cannot read S3 object s3://no-such-bucket-here/x.csv", "NoSuchBucket"
    ):
        discover(live_server, S3Configuration=s3)
    with aws_error(
        "InvalidArgumentException", "Cannot read Kinesis stream nope", "ResourceNotFoundException"
    ):
        discover(live_server, **trim_horizon(f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/nope"))
    with aws_error("InvalidArgumentException", "is not the ARN of a Kinesis data stream"):
        discover(live_server, **trim_horizon(f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"))
    with aws_error("InvalidArgumentException", "is not the ARN of an S3 bucket"):
        discover(live_server, S3Configuration={"BucketARN": "arn:aws:s3:::", "FileKey": "k"})
    with aws_error("InvalidArgumentException", "LAST_STOPPED_POINT"):
        discover(
            live_server,
            ResourceARN=stream_arn,
            InputStartingPositionConfiguration={"InputStartingPosition": "LAST_STOPPED_POINT"},
        )
    with aws_error("UnsupportedOperationException", "Firehose"):
        discover(live_server, **trim_horizon(f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/d"))
    lambda_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:pre"
    with aws_error("UnsupportedOperationException", "InputProcessingConfiguration"):
        discover(
            live_server,
            InputProcessingConfiguration={"InputLambdaProcessor": {"ResourceARN": lambda_arn}},
            **trim_horizon(stream_arn),
        )
