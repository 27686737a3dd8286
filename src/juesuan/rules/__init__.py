"""Rules on a layout: relation instances and the rule graph (definitions, leaves, inputs)."""

from juesuan.rules.graph import RuleGraph, graph_of
from juesuan.rules.instances import Instance, all_instances, instantiate

__all__ = ["RuleGraph", "graph_of", "Instance", "all_instances", "instantiate"]
