# Mocks for the aws.destination provider, shared by every test file.
mock_data "aws_region" {
  defaults = {
    name = "eu-central-1"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-central-1:111111111111:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}
