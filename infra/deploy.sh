#!/bin/bash
# Deploys Stratus into the current AWS account and region (docs/deploy.md):
#   1. builds the jars (./stratus build),
#   2. builds the bridge image for linux/arm64 and pushes it to an ECR repository <stack>-bridge,
#   3. sam build && sam deploy --guided, passing the image URI.
# Needs: AWS CLI v2 with credentials, SAM CLI, Docker with buildx (or set STRATUS_BRIDGE_IMAGE to
# an image you pushed yourself, e.g. with the Jib build in infra/README.md).
# Usage: infra/deploy.sh [stack-name]   (default: stratus); extra sam deploy flags in SAM_DEPLOY_ARGS.
set -euo pipefail

stack="${1:-stratus}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

command -v aws >/dev/null || { echo "deploy: the AWS CLI is needed" >&2; exit 2; }
command -v sam >/dev/null || { echo "deploy: the SAM CLI is needed" >&2; exit 2; }

region="$(aws configure get region || true)"
region="${AWS_REGION:-${region:-}}"
[ -n "$region" ] || { echo "deploy: set AWS_REGION (or a default region)" >&2; exit 2; }
account="$(aws sts get-caller-identity --query Account --output text)"

./stratus build

image="${STRATUS_BRIDGE_IMAGE:-}"
if [ -z "$image" ]; then
  command -v docker >/dev/null || {
    echo "deploy: docker (with buildx) is needed to build the bridge image, or set STRATUS_BRIDGE_IMAGE" >&2
    exit 2
  }
  repo="$stack-bridge"
  registry="$account.dkr.ecr.$region.amazonaws.com"
  aws ecr describe-repositories --repository-names "$repo" --region "$region" >/dev/null 2>&1 ||
    aws ecr create-repository --repository-name "$repo" --region "$region" \
      --image-scanning-configuration scanOnPush=true --image-tag-mutability IMMUTABLE >/dev/null
  tag="$(git rev-parse --short=12 HEAD 2>/dev/null || date +%s)-$(date +%Y%m%d%H%M%S)"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
  docker buildx build --platform linux/arm64 -f infra/Dockerfile -t "$registry/$repo:$tag" --push .
  image="$registry/$repo:$tag"
fi
echo "deploy: bridge image $image"

sam build --template-file template.yaml
# --guided asks for the remaining parameters (CertificateArn, BridgePasswordsSecretArn, ...) the
# first time and saves the answers in samconfig.toml.
# shellcheck disable=SC2086
sam deploy --guided --stack-name "$stack" --region "$region" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --parameter-overrides "BridgeImageUri=$image" ${SAM_DEPLOY_ARGS:-}

aws cloudformation describe-stacks --stack-name "$stack" --region "$region" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table
