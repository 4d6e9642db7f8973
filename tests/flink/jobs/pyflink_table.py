"""A PyFlink Table/SQL job in the shape of the AWS Python GettingStarted sample (properties from the AWS
path): a datagen sequence -> one-second TUMBLE windows (count, min and max id) -> filesystem sink (CSV).
"""

import json
import os

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment

APPLICATION_PROPERTIES_FILE_PATH = "/etc/flink/application_properties.json"


def get_application_properties():
    if os.path.isfile(APPLICATION_PROPERTIES_FILE_PATH):
        with open(APPLICATION_PROPERTIES_FILE_PATH) as file:
            return json.loads(file.read())
    raise FileNotFoundError(APPLICATION_PROPERTIES_FILE_PATH)


def property_map(props, property_group_id):
    for prop in props:
        if prop["PropertyGroupId"] == property_group_id:
            return prop["PropertyMap"]
    return {}


def main():
    config = property_map(get_application_properties(), "SinkConfig")
    env = StreamExecutionEnvironment.get_execution_environment()
    table_env = StreamTableEnvironment.create(env)
    table_env.execute_sql(
        """
        CREATE TABLE numbers (
            id BIGINT,
            ts AS PROCTIME()
        ) WITH (
            'connector' = 'datagen',
            'rows-per-second' = '100',
            'fields.id.kind' = 'sequence',
            'fields.id.start' = '0',
            'fields.id.end' = '100000'
        )
        """
    )
    table_env.execute_sql(
        f"""
        CREATE TABLE windows (
            window_start TIMESTAMP(3),
            records BIGINT,
            first_id BIGINT,
            last_id BIGINT
        ) WITH (
            'connector' = 'filesystem',
            'path' = '{config["output"]}',
            'format' = 'csv'
        )
        """
    )
    table_env.execute_sql(
        """
        INSERT INTO windows
        SELECT window_start, COUNT(*), MIN(id), MAX(id)
        FROM TABLE(TUMBLE(TABLE numbers, DESCRIPTOR(ts), INTERVAL '1' SECOND))
        GROUP BY window_start, window_end
        """
    )


if __name__ == "__main__":
    main()
