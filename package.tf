# The functions' package: the zip of this module's own lambda/ directory (the copier's, the pruner's and the
# reconciler's entry files and the core package snapshot_copy/), made here, so that a stack calling the
# module (`source = "git::...?ref=<release tag>"`) needs no build step and no package variables. A pipeline
# that builds once (`rds-snapshot-copy package`) passes lambda_package_path and lambda_package_hash instead,
# and then nothing is zipped.
data "archive_file" "lambda" {
  count = var.lambda_package_path == null ? 1 : 0

  type       = "zip"
  source_dir = "${path.module}/lambda"
  # Under the module's own directory and relative to the working directory (path.module is "." at the root,
  # ".terraform/modules/<call>" from a registry or git source): the path the functions' state stores is then
  # the same on every machine that plans the stack, so another checkout plans no change. One file per
  # deployment (the same name, account and source region would collide in AWS anyway): two instances called
  # from one source directory (examples/two-destinations) must never write the same file at once.
  output_path = "${path.module}/build/${var.name}-${local.account_id}-${local.source_region}.zip"
  # The same files as the project's packager (src/rds_snapshot_copy/package.py, directory_sources):
  # everything under lambda/, except directories named __pycache__, anything whose name starts with "."
  # (so .pytest_cache, .mypy_cache, .ruff_cache too) and *.pyc / *.pyo. Glob patterns of archive >= 2.4,
  # matched against the path relative to lambda/, where "**/" also matches the top level. ".?*" rather than
  # ".*", which would match ".", the top of the walk itself, and so exclude everything.
  excludes = [
    "**/__pycache__/**",
    "**/.?*",
    "**/*.pyc",
    "**/*.pyo",
  ]
}

locals {
  # What the three functions deploy (copier.tf, pruner.tf, reconciler.tf): the given package, or this one.
  lambda_package_path = var.lambda_package_path != null ? var.lambda_package_path : data.archive_file.lambda[0].output_path
  lambda_package_hash = var.lambda_package_path != null ? var.lambda_package_hash : data.archive_file.lambda[0].output_base64sha256
}
