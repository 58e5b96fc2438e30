variable "bucket_lifecycle_rules" {
  description = "Create the buckets' lifecycle rules on the emulator (slow to create, never run there); dev and prod always have them."
  type        = bool
  default     = false
}

variable "package_path" {
  description = "Zip built by `invoke package`, used only when the function is first created (passed by `invoke tf.apply`)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "The package is a .zip file built by `invoke package`."
  }
}
