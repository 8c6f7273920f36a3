# How many receives the copier gives a waiting message before it dead-letters it itself, and the
# queue's own maxReceiveCount. The one place this formula lives: the module uses it, and the burst
# benchmark evaluates it here (`terraform console`) instead of keeping a copy.
#
# The copier's waits are jittered down to half of wait_delay_max_seconds
# (lambda/snapshot_copy/queue.py, JITTER_FLOOR), so the count must cover copy_wait_max_hours at that
# shortest wait; the age check usually ends a wait first. 20 receives on top leave room for throttles
# and transient errors. SQS allows at most 1000; the queue's count is one above the function's.

variable "copy_wait_max_hours" {
  description = "How long an event may wait for a copy slot or a retry before it is dead-lettered."
  type        = number
}

variable "wait_delay_max_seconds" {
  description = "Longest delay between two looks at a waiting message."
  type        = number
}

locals {
  jitter_floor      = 0.5
  extra_receives    = 20
  max_receive_count = min(999, ceil(var.copy_wait_max_hours * 3600 / (var.wait_delay_max_seconds * local.jitter_floor)) + local.extra_receives)
}

output "function_max_receive_count" {
  description = "Receives after which the function dead-letters a waiting message itself (MAX_RECEIVE_COUNT)."
  value       = local.max_receive_count
}

output "queue_max_receive_count" {
  description = "The queue's maxReceiveCount: one more, so SQS only dead-letters messages whose handler crashed."
  value       = local.max_receive_count + 1
}
