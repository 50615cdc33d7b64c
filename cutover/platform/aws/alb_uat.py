"""UAT routes on an ALB: a listener rule that sends the testers' requests to green's target group only.

The rule carries the service's own conditions (those of its rule, when its split is a rule; none when
it is the listener's default action) plus an http-header condition, and a priority ahead of the
service's rule, so testers reach green exactly where the public reaches the split. ALBs have no cookie
condition: a cookie is an http-header condition on Cookie with the wildcard `*name=value*`. The rule
is tagged with the service (TAG), so a retried open finds it again instead of adding a second one.
"""

import json
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from cutover.plan.uat import UatMatch, UatRoute
from cutover.platform.aws.config import AlbRoute
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError

TAG = "cutover:uat"  # value: namespace/service
PRIORITY_MAX = 50_000  # a listener rule's priorities are 1..50000, lowest evaluated first
RULES_PAGE = 400  # DescribeRules' largest page
TAGS_PER_CALL = 20  # DescribeTags takes at most 20 ARNs

Rule = dict[str, Any]


def header_condition(match: UatMatch) -> dict[str, Any]:
    """The http-header condition that marks a tester's request."""
    if match.header is not None:
        name, value = match.header, match.value
    else:
        name, value = "Cookie", match.alb_cookie_value
    return {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": name, "Values": [value]}}


def parse_match(condition: dict[str, Any]) -> UatMatch:
    """The UatMatch an http-header condition made by header_condition stands for."""
    config = condition.get("HttpHeaderConfig") or {}
    name, values = config.get("HttpHeaderName", ""), config.get("Values") or [""]
    value = values[0]
    if name.lower() == "cookie" and value.startswith("*") and value.endswith("*") and "=" in value:
        cookie, _, cookie_value = value[1:-1].partition("=")
        return UatMatch(cookie=cookie, value=cookie_value)
    return UatMatch(header=name, value=value)


def normalized(condition: dict[str, Any]) -> str:
    """A condition as one comparable string: DescribeRules repeats host-header and path-pattern
    values in the legacy `Values` beside their *Config, which CreateRule takes one way only."""
    configs = {k: v for k, v in condition.items() if k.endswith("Config")}
    kept = {"Field": condition["Field"], **(configs or {"Values": condition.get("Values", [])})}
    return json.dumps(kept, sort_keys=True)


class AlbUatRules:
    """Opens, reads back and closes UAT rules on the listeners of AlbRoutes."""

    def __init__(self, elbv2: Any):
        self.elbv2 = elbv2

    def open(self, route: AlbRoute, uat: UatRoute) -> None:
        rules = self._rules(route)
        limit, base = self._service_rule(route, rules)
        conditions = [json.loads(c) for c in base] + [header_condition(uat.match)]
        actions = [{"Type": "forward", "TargetGroupArn": route.green_target_group_arn}]
        ours = self._tagged(rules, uat.key)
        for extra in ours[1:]:  # a second open that raced the first: one rule is enough
            self._delete(extra)
        if not ours:
            try:
                self.elbv2.create_rule(
                    ListenerArn=route.listener_arn,
                    Priority=_free_priority(rules, limit, route),
                    Conditions=conditions,
                    Actions=actions,
                    Tags=[{"Key": TAG, "Value": uat.key}],
                )
            except ClientError as error:
                raise translate(error, "create the UAT rule", route.listener_arn) from error
            return
        rule = ours[0]
        try:
            if int(rule["Priority"]) >= limit:  # the service's rule has moved ahead of it
                priority = _free_priority(rules, limit, route)
                self.elbv2.set_rule_priorities(
                    RulePriorities=[{"RuleArn": rule["RuleArn"], "Priority": priority}]
                )
            if sorted(map(normalized, rule["Conditions"])) != sorted(map(normalized, conditions)) or not (
                _forwards_to_green_only(rule, route)
            ):
                self.elbv2.modify_rule(RuleArn=rule["RuleArn"], Conditions=conditions, Actions=actions)
        except ClientError as error:
            raise translate(error, "update the UAT rule", rule["RuleArn"]) from error

    def close(self, route: AlbRoute, key: str) -> None:
        for rule in self._tagged(self._rules(route), key):
            self._delete(rule)

    def match(self, route: AlbRoute, key: str) -> UatMatch | None:
        rules = self._rules(route)
        ours = self._tagged(rules, key)
        if not ours:
            return None
        _, base = self._service_rule(route, rules)
        added = [
            c for c in ours[0]["Conditions"] if c["Field"] == "http-header" and normalized(c) not in base
        ]
        try:
            return parse_match(added[0])
        except (IndexError, ValidationError) as error:
            raise PermanentError(
                f"{ours[0]['RuleArn']} (tagged {TAG}={key}) holds no UAT header condition cutover made",
                "aws.UatRuleChanged",
            ) from error

    def _rules(self, route: AlbRoute) -> list[Rule]:
        """Every rule of the route's listener, its default included."""
        rules: list[Rule] = []
        marker: dict[str, str] = {}
        try:
            while True:
                page = self.elbv2.describe_rules(
                    ListenerArn=route.listener_arn, PageSize=RULES_PAGE, **marker
                )
                rules += page["Rules"]
                if not page.get("NextMarker"):
                    return rules
                marker = {"Marker": page["NextMarker"]}
        except ClientError as error:
            raise translate(error, "list the listener's rules", route.listener_arn) from error

    def _service_rule(self, route: AlbRoute, rules: list[Rule]) -> tuple[int, list[str]]:
        """The priority a UAT rule must stay under, and the conditions it copies (normalized)."""
        if route.rule_arn is None:
            return PRIORITY_MAX + 1, []
        found = next((r for r in rules if r["RuleArn"] == route.rule_arn), None)
        if found is None:
            raise PermanentError(
                f"rule {route.rule_arn} is not on listener {route.listener_arn}", "aws.RuleNotFound"
            )
        if found.get("IsDefault"):
            return PRIORITY_MAX + 1, []
        return int(found["Priority"]), [normalized(c) for c in found["Conditions"]]

    def _tagged(self, rules: list[Rule], key: str) -> list[Rule]:
        """The rules tagged as this service's UAT rule, in priority order."""
        arns = [r["RuleArn"] for r in rules if not r.get("IsDefault")]
        tagged: set[str] = set()
        try:
            for start in range(0, len(arns), TAGS_PER_CALL):
                chunk = arns[start : start + TAGS_PER_CALL]
                for described in self.elbv2.describe_tags(ResourceArns=chunk)["TagDescriptions"]:
                    if any(t["Key"] == TAG and t["Value"] == key for t in described.get("Tags") or []):
                        tagged.add(described["ResourceArn"])
        except ClientError as error:
            raise translate(error, "read the rules' tags", arns[0]) from error
        return sorted((r for r in rules if r["RuleArn"] in tagged), key=lambda r: int(r["Priority"]))

    def _delete(self, rule: Rule) -> None:
        try:
            self.elbv2.delete_rule(RuleArn=rule["RuleArn"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "RuleNotFound":  # gone already: closed
                raise translate(error, "delete the UAT rule", rule["RuleArn"]) from error


def _free_priority(rules: list[Rule], limit: int, route: AlbRoute) -> int:
    """The lowest priority no rule holds, under the service rule's (it must be evaluated first)."""
    taken = {int(r["Priority"]) for r in rules if not r.get("IsDefault")}
    free = next((p for p in range(1, min(limit, PRIORITY_MAX + 1)) if p not in taken), None)
    if free is None:
        raise PermanentError(
            f"no free priority under {limit} on listener {route.listener_arn} for a UAT rule ahead of "
            f"rule {route.rule_arn}",
            "aws.NoFreePriority",
        )
    return free


def _forwards_to_green_only(rule: Rule, route: AlbRoute) -> bool:
    actions = rule.get("Actions") or []
    if len(actions) != 1 or actions[0].get("Type") != "forward":
        return False
    groups = (actions[0].get("ForwardConfig") or {}).get("TargetGroups")
    arns = {g["TargetGroupArn"] for g in groups} if groups else {actions[0].get("TargetGroupArn")}
    return arns == {route.green_target_group_arn}
