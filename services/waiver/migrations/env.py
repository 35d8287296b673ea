from servicekit.migrations import run_env
from waiver.orm import metadata

run_env(metadata)
