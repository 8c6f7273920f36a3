# Every native test file's runs get a key admin (variables.tf, key_admin_principal_arns): the module refuses
# to create its key without one. A file's own `variables` block wins over this (tests/compliance.tftest.hcl).
# terraform test reads terraform.tfvars of the tests directory (not *.auto.tfvars: .gitignore keeps those
# for the demo's generated files).
key_admin_principal_arns = ["arn:aws:iam::111111111111:role/key-admin"]
