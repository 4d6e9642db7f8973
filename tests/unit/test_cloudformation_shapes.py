"""Template values to API members: type coercion and create-shape → update-shape translation."""

from __future__ import annotations

import base64

import pytest

from app.cloudformation.shapes import TemplateError, coerce, shape, to_update

CONFIGURATION = shape("ApplicationConfiguration")
UPDATE = shape("ApplicationConfigurationUpdate")


def test_parameter_strings_become_numbers_booleans_and_bytes() -> None:
    value = {
        "FlinkApplicationConfiguration": {
            "ParallelismConfiguration": {
                "ConfigurationType": "CUSTOM",
                "Parallelism": "4",
                "AutoScalingEnabled": "false",
            }
        },
        "ApplicationCodeConfiguration": {
            "CodeContentType": "ZIPFILE",
            "CodeContent": {"ZipFileContent": base64.b64encode(b"PK\x05\x06").decode()},
        },
        "EnvironmentProperties": {"PropertyGroups": [{"PropertyGroupId": "g", "PropertyMap": {"n": 3}}]},
    }
    typed = coerce(CONFIGURATION, value)
    parallelism = typed["FlinkApplicationConfiguration"]["ParallelismConfiguration"]
    assert parallelism == {"ConfigurationType": "CUSTOM", "Parallelism": 4, "AutoScalingEnabled": False}
    assert typed["ApplicationCodeConfiguration"]["CodeContent"]["ZipFileContent"] == b"PK\x05\x06"
    assert typed["EnvironmentProperties"]["PropertyGroups"][0]["PropertyMap"] == {"n": "3"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"FlinkApplicationConfiguration": {"ParallelismConfiguration": {"Parallelism": "four"}}}, "integer"),
        ({"ApplicationSnapshotConfiguration": {"SnapshotsEnabled": "yes"}}, "true or false"),
        ({"ApplicationCodeConfiguration": {"CodeContent": {"ZipFileContent": "not base64!"}}}, "base64"),
    ],
)
def test_values_that_cannot_be_converted_are_named(value: dict[str, object], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        coerce(CONFIGURATION, value)


def test_sections_translate_to_their_update_shapes_by_the_models_naming() -> None:
    typed = {
        "FlinkApplicationConfiguration": {
            "ParallelismConfiguration": {"ConfigurationType": "CUSTOM", "Parallelism": 2}
        },
        "EnvironmentProperties": {"PropertyGroups": [{"PropertyGroupId": "g", "PropertyMap": {"k": "v"}}]},
        "ApplicationCodeConfiguration": {
            "CodeContent": {"S3ContentLocation": {"BucketARN": "arn:aws:s3:::b", "FileKey": "k"}}
        },
        "VpcConfigurations": [{"SubnetIds": ["s-1"], "SecurityGroupIds": ["g-1"]}],
    }
    update = to_update(CONFIGURATION, UPDATE, typed, {"VpcConfigurationId": ["2.1"]})
    assert update == {
        "FlinkApplicationConfigurationUpdate": {
            "ParallelismConfigurationUpdate": {"ConfigurationTypeUpdate": "CUSTOM", "ParallelismUpdate": 2}
        },
        "EnvironmentPropertyUpdates": {
            "PropertyGroups": [{"PropertyGroupId": "g", "PropertyMap": {"k": "v"}}]
        },
        "ApplicationCodeConfigurationUpdate": {
            "CodeContentUpdate": {
                "S3ContentLocationUpdate": {"BucketARNUpdate": "arn:aws:s3:::b", "FileKeyUpdate": "k"}
            }
        },
        "VpcConfigurationUpdates": [
            {"VpcConfigurationId": "2.1", "SubnetIdUpdates": ["s-1"], "SecurityGroupIdUpdates": ["g-1"]}
        ],
    }


def test_sql_sub_resources_translate_with_their_ids() -> None:
    output = {"Name": "OUT", "KinesisStreamsOutput": {"ResourceARN": "arn:aws:kinesis:r:1:stream/s"}}
    assert to_update(shape("Output"), shape("OutputUpdate"), output, {}) == {
        "NameUpdate": "OUT",
        "KinesisStreamsOutputUpdate": {"ResourceARNUpdate": "arn:aws:kinesis:r:1:stream/s"},
    }
    schema = {
        "RecordFormat": {"RecordFormatType": "CSV"},
        "RecordColumns": [{"Name": "A", "SqlType": "INTEGER"}],
    }
    reference = {"TableName": "T", "ReferenceSchema": schema}
    assert to_update(shape("ReferenceDataSource"), shape("ReferenceDataSourceUpdate"), reference, {}) == {
        "TableNameUpdate": "T",
        "ReferenceSchemaUpdate": schema,
    }


def test_list_entries_addressed_by_id_cannot_change_in_number() -> None:
    typed = {"VpcConfigurations": [{"SubnetIds": ["s-1"], "SecurityGroupIds": ["g-1"]}] * 2}
    with pytest.raises(TemplateError, match="cannot change from 1 to 2 entries"):
        to_update(CONFIGURATION, UPDATE, typed, {"VpcConfigurationId": ["2.1"]})
