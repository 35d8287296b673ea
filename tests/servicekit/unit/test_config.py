"""Configuration from the environment; production refuses development secrets."""
import pytest

from servicekit.config import DEV_JWT_SECRET, BaseConfig


def test_values_come_from_upper_case_variables_with_types():
    config = BaseConfig.from_env({"DATABASE_URL": "postgresql+psycopg://x/y", "TOPIC_PARTITIONS": "6",
                                  "LOG_LEVEL": "DEBUG"})
    assert (config.database_url, config.topic_partitions, config.log_level) == ("postgresql+psycopg://x/y", 6, "DEBUG")


def test_production_with_a_default_secret_refuses_to_start():
    with pytest.raises(RuntimeError):
        BaseConfig.from_env({"ENVIRONMENT": "production"}).check_secrets()
    BaseConfig.from_env({"ENVIRONMENT": "production", "JWT_SECRET": "a" * 40, "PII_KEY": "b" * 40}).check_secrets()
    BaseConfig.from_env({"JWT_SECRET": DEV_JWT_SECRET}).check_secrets()  # development: allowed
