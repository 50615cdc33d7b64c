"""The search attributes that make migrations visible in the Temporal UI list."""

from temporalio.common import SearchAttributeKey

MIGRATION_PHASE = SearchAttributeKey.for_keyword("MigrationPhase")
GREEN_TRAFFIC_PERCENT = SearchAttributeKey.for_int("GreenTrafficPercent")
MIGRATION_PLAN = SearchAttributeKey.for_keyword("MigrationPlan")
MIGRATION_OUTCOME = SearchAttributeKey.for_keyword("MigrationOutcome")
SEARCH_ATTRIBUTES = (MIGRATION_PHASE, GREEN_TRAFFIC_PERCENT, MIGRATION_PLAN, MIGRATION_OUTCOME)

# name -> type, as `temporal server start-dev --search-attribute` and the operator API take them
REGISTRATION = {
    "MigrationPhase": "Keyword",
    "GreenTrafficPercent": "Int",
    "MigrationPlan": "Keyword",
    "MigrationOutcome": "Keyword",
}
