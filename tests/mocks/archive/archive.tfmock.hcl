# Mocks for hashicorp/archive, shared by every test file of the module: the module's own package
# (package.tf) gets a fixed hash instead of a zip. package.tftest.hcl zips lambda/ for real.
mock_data "archive_file" {
  defaults = {
    output_base64sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
}
