output "stack" {
  description = "Names and ARNs the toolkit and operators need: function, alias, role, log group, buckets, schedules."
  value       = module.vectora_inbox
}
