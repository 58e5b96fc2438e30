output "deploy_role_arn" {
  description = "Set as the repository (or dev environment) variable AWS_DEPLOY_ROLE_ARN."
  value       = module.github_deploy_role.deploy_role_arn
}

output "plan_role_arn" {
  description = "Set as the repository variable AWS_PLAN_ROLE_ARN."
  value       = module.github_deploy_role.plan_role_arn
}

output "deploy_role_name" {
  description = "Name of the deploy role."
  value       = module.github_deploy_role.deploy_role_name
}

output "plan_role_name" {
  description = "Name of the plan role."
  value       = module.github_deploy_role.plan_role_name
}

output "oidc_provider_arn" {
  description = "The GitHub OIDC provider the roles trust."
  value       = module.github_deploy_role.oidc_provider_arn
}
