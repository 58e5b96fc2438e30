output "bucket_names" {
  description = "Bucket names by purpose: config, data, newsletters, artifacts."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.id }
}

output "bucket_arns" {
  description = "Bucket ARNs by purpose: config, data, newsletters, artifacts."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.arn }
}

output "artifacts_bucket_name" {
  description = "Name of the artifacts bucket, available once its encryption and access block are in place."
  value       = aws_s3_bucket.this["artifacts"].id

  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
  ]
}

output "checks_prefix" {
  description = "Key prefix of check-run output in the newsletters bucket."
  value       = var.checks_prefix
}

output "cache_prefix" {
  description = "Key prefix of the expiring editorial cache in the newsletters bucket."
  value       = var.cache_prefix
}

output "shared_prefix" {
  description = "Prefix of the data bucket's shared store."
  value       = var.shared_prefix
}
