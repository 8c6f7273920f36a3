# Addresses before the copier moved into modules/function, the alarms into one for_each, and the pruner's
# and the reconciler's schedules into modules/function's schedule: an upgrade renames these resources in
# the state instead of replacing them.

moved {
  from = aws_lambda_function.this
  to   = module.copier.aws_lambda_function.this
}

moved {
  from = aws_iam_role.copier
  to   = module.copier.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.copier
  to   = module.copier.aws_iam_role_policy.this
}

moved {
  from = aws_cloudwatch_log_group.this
  to   = module.copier.aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors
  to   = module.copier.aws_cloudwatch_metric_alarm.errors
}

moved {
  from = aws_cloudwatch_metric_alarm.queue_oldest_message_age
  to   = aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dead_letter_queue_depth
  to   = aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dead_lettered
  to   = aws_cloudwatch_metric_alarm.this["dead_lettered"]
}

moved {
  from = aws_cloudwatch_event_rule.prune
  to   = module.pruner.aws_cloudwatch_event_rule.schedule[0]
}

moved {
  from = aws_cloudwatch_event_target.prune
  to   = module.pruner.aws_cloudwatch_event_target.schedule[0]
}

moved {
  from = aws_lambda_permission.prune_schedule
  to   = module.pruner.aws_lambda_permission.schedule[0]
}

moved {
  from = aws_cloudwatch_event_rule.reconcile
  to   = module.reconciler.aws_cloudwatch_event_rule.schedule[0]
}

moved {
  from = aws_cloudwatch_event_target.reconcile
  to   = module.reconciler.aws_cloudwatch_event_target.schedule[0]
}

moved {
  from = aws_lambda_permission.reconcile_schedule
  to   = module.reconciler.aws_lambda_permission.schedule[0]
}
