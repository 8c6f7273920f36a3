# The functions' package (package.tf): by default the module zips its own lambda/ (here with the real
# archive provider, or the offline stand-in that terraform_cli installs where no registry is reachable);
# a prebuilt zip passed as lambda_package_path and lambda_package_hash replaces it. Plans only: the zip is
# made when Terraform reads the data source, during the plan.
mock_provider "aws" {
  alias  = "source"
  source = "./tests/mocks/source"
}

mock_provider "aws" {
  alias  = "destination"
  source = "./tests/mocks/destination"
}

run "zips_its_own_lambda" {
  command = plan

  assert {
    condition     = length(data.archive_file.lambda) == 1 && data.archive_file.lambda[0].type == "zip" && data.archive_file.lambda[0].source_dir == "./lambda"
    error_message = "Without a package, the module must zip its own lambda/ directory."
  }

  # Relative to the working directory, under the module's directory: the same string on every machine.
  assert {
    condition     = data.archive_file.lambda[0].output_path == "./build/rds-snapshot-copy-111111111111-eu-west-1.zip"
    error_message = "The zip must be build/<name>-<account>-<source region>.zip under the module: ${data.archive_file.lambda[0].output_path}"
  }

  assert {
    condition     = toset(data.archive_file.lambda[0].excludes) == toset(["**/__pycache__/**", "**/.?*", "**/*.pyc", "**/*.pyo"])
    error_message = "The zip must leave out what the project's packager leaves out (caches, dot files, compiled files)."
  }

  assert {
    condition     = fileexists(data.archive_file.lambda[0].output_path) && filebase64sha256(data.archive_file.lambda[0].output_path) == data.archive_file.lambda[0].output_base64sha256
    error_message = "The plan must have written the zip whose hash the functions deploy."
  }

  assert {
    condition = alltrue([
      for function in [module.copier, module.pruner, module.reconciler] :
      function.function_package_path == data.archive_file.lambda[0].output_path && function.function_source_code_hash == data.archive_file.lambda[0].output_base64sha256
    ])
    error_message = "All three functions must deploy the module's own zip."
  }
}

# Two deployments called from one source directory (examples/two-destinations) must not write one file.
run "one_zip_per_deployment" {
  command = plan

  variables {
    name = "reports"
  }

  assert {
    condition     = data.archive_file.lambda[0].output_path == "./build/reports-111111111111-eu-west-1.zip"
    error_message = "Each deployment must zip into a file of its own: ${data.archive_file.lambda[0].output_path}"
  }
}

# A pipeline that builds once (rds-snapshot-copy package) passes the zip and its hash; nothing is zipped.
run "prebuilt_package" {
  command = plan

  variables {
    lambda_package_path = "build/lambda.zip"
    lambda_package_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }

  assert {
    condition     = length(data.archive_file.lambda) == 0
    error_message = "With a prebuilt package the module must not zip lambda/."
  }

  assert {
    condition = alltrue([
      for function in [module.copier, module.pruner, module.reconciler] :
      function.function_package_path == "build/lambda.zip" && function.function_source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    ])
    error_message = "All three functions must deploy the given package."
  }
}

# Half a package is refused by name, whichever half is missing.
run "path_without_hash" {
  command = plan

  variables {
    lambda_package_path = "build/lambda.zip"
  }

  expect_failures = [var.lambda_package_hash]
}

run "hash_without_path" {
  command = plan

  variables {
    lambda_package_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }

  expect_failures = [var.lambda_package_hash]
}
