variable "package_path" {
  description = "Zip built by `invoke package`, used only when the function is first created (passed by `invoke tf.apply`)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "The package is a .zip file built by `invoke package`."
  }
}
