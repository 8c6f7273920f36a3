variable "name" {
  description = "Name of the function; its log group is `/aws/lambda/<name>` and its errors alarm `<name>-function-errors`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores (a Lambda function name)."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = null
}

variable "handler" {
  description = "Entry point of the function in the package, `module.function` (e.g. `copy_snapshot.lambda_handler`)."
  type        = string

  validation {
    condition     = can(regex("^[^\\s]+\\.[^\\s.]+$", var.handler))
    error_message = "handler must be <module>.<function>, without spaces."
  }
}

variable "runtime" {
  description = "Lambda runtime of the function."
  type        = string
  default     = "python3.13"
}

variable "architecture" {
  description = "Instruction set of the function: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "package_path" {
  description = "Path of the zip the function runs."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must name a .zip file."
  }
}

variable "package_hash" {
  description = "Base64-encoded SHA-256 of the zip, so that a changed package is redeployed."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.package_hash))
    error_message = "package_hash must be a base64-encoded SHA-256 (44 characters ending in '=')."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout of the function in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function; -1 leaves it unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a non-negative number."
  }
}

variable "environment" {
  description = "Environment variables of the function (Lambda rejects null values: leave such keys out)."
  type        = map(string)
  default     = {}
}

variable "role_name" {
  description = "Name of the function's execution role, and of the role's inline policy."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_- (an IAM role name)."
  }
}

variable "role_description" {
  description = "Description of the execution role. Null describes it as the function's execution role."
  type        = string
  default     = null
}

variable "policy_json" {
  description = "IAM policy document (JSON) with the function's own permissions. This module adds the statements for what it wires itself, `WriteLogs` (its log group) and `DeadLetter` (sqs:SendMessage on dead_letter_target_arn, when given): those statement IDs must not be used here."
  type        = string

  validation {
    condition     = can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be an IAM policy document in JSON, with a Statement list."
  }

  validation {
    condition = alltrue([
      for statement in try(tolist(jsondecode(var.policy_json).Statement), []) :
      !contains(["WriteLogs", "DeadLetter"], try(statement.Sid, ""))
    ])
    error_message = "policy_json must not use the statement IDs WriteLogs and DeadLetter: this module adds those statements itself."
  }
}

variable "account_id" {
  description = "ID of the account the function runs in: only Lambda acting for this account may assume the role (aws:SourceAccount)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "dead_letter_target_arn" {
  description = "SQS queue that failed asynchronous invocations go to (Lambda's dead_letter_config); the role may send to it. Null configures no dead-letter target."
  type        = string
  default     = null

  validation {
    condition     = var.dead_letter_target_arn == null || can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}(\\.fifo)?$", var.dead_letter_target_arn))
    error_message = "dead_letter_target_arn must be the ARN of an SQS queue."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries Lambda makes of a failed asynchronous invocation (an EventBridge schedule, say) before it goes to dead_letter_target_arn: 0, 1 or 2. Null leaves Lambda's default (2) and creates no event invoke configuration."
  type        = number
  default     = null

  validation {
    condition     = var.async_maximum_retry_attempts == null || try(contains([0, 1, 2], var.async_maximum_retry_attempts), false)
    error_message = "async_maximum_retry_attempts must be 0, 1 or 2 (Lambda's range), or null."
  }
}

variable "schedule" {
  description = <<-EOT
    An EventBridge rule in the function's region that invokes it on a schedule; null creates none.
    `expression`: rate(...) or cron(...). `rule_name`, `description`: the rule's. `statement_id`: of the
    lambda permission that lets the rule invoke the function. The rule's target is named like the function.
    `dead_letter_arn`: SQS queue for the events EventBridge cannot deliver (its queue policy must allow this
    rule, see the schedule_rule_arn output); null: none. `maximum_event_age_in_seconds` (60-86400, default
    3600) and `maximum_retry_attempts` (0-185, default 10): how long EventBridge retries delivery. A missed
    run is made up by the next one, hence an hour rather than EventBridge's day.
  EOT
  type = object({
    expression                   = string
    rule_name                    = string
    description                  = optional(string)
    statement_id                 = string
    dead_letter_arn              = optional(string)
    maximum_event_age_in_seconds = optional(number, 3600)
    maximum_retry_attempts       = optional(number, 10)
  })
  default = null

  validation {
    condition     = var.schedule == null || try(can(regex("^(rate|cron)\\(.+\\)$", var.schedule.expression)), false)
    error_message = "schedule.expression must be an EventBridge schedule expression, rate(...) or cron(...)."
  }

  validation {
    condition     = var.schedule == null || try(can(regex("^[A-Za-z0-9._-]{1,64}$", var.schedule.rule_name)), false)
    error_message = "schedule.rule_name must be 1-64 letters, digits, dots, hyphens or underscores (an EventBridge rule name)."
  }

  validation {
    condition     = var.schedule == null || try(can(regex("^[A-Za-z0-9_-]{1,100}$", var.schedule.statement_id)), false)
    error_message = "schedule.statement_id must be 1-100 letters, digits, hyphens or underscores (a Lambda permission statement ID)."
  }

  validation {
    condition     = var.schedule == null || try(var.schedule.dead_letter_arn == null || can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$", var.schedule.dead_letter_arn)), false)
    error_message = "schedule.dead_letter_arn must be the ARN of a standard SQS queue, or null."
  }

  validation {
    condition     = var.schedule == null || try(var.schedule.maximum_event_age_in_seconds >= 60 && var.schedule.maximum_event_age_in_seconds <= 86400 && floor(var.schedule.maximum_event_age_in_seconds) == var.schedule.maximum_event_age_in_seconds, false)
    error_message = "schedule.maximum_event_age_in_seconds must be a whole number of seconds from 60 to 86400 (EventBridge's range)."
  }

  validation {
    condition     = var.schedule == null || try(var.schedule.maximum_retry_attempts >= 0 && var.schedule.maximum_retry_attempts <= 185 && floor(var.schedule.maximum_retry_attempts) == var.schedule.maximum_retry_attempts, false)
    error_message = "schedule.maximum_retry_attempts must be a whole number from 0 to 185 (EventBridge's range)."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group in days (0 keeps logs forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch Logs' values: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key to encrypt the log group with; its policy must allow the CloudWatch Logs service. Null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.logs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be the ARN of a KMS key."
  }
}

variable "errors_alarm_description" {
  description = "Description of the alarm on the function's errors. Null says that the function failed."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) the errors alarm notifies on ALARM and OK."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
