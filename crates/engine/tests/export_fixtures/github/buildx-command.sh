docker buildx create --name ci --driver docker-container --use --bootstrap

docker buildx build \
  --file Dockerfile \
  --target runtime \
  --build-arg NODE_ENV=production \
  --secret id=npm_token,env=NPM_TOKEN \
  --cache-from type=gha,scope=shop-runtime \
  --cache-to type=gha,scope=shop-runtime,mode=max,ignore-error=true \
  --tag registry.example.com/acme/shop:runtime-latest \
  --push \
  .

docker buildx build \
  --file Dockerfile \
  --target test \
  --build-arg NODE_ENV=production \
  --secret id=npm_token,env=NPM_TOKEN \
  --cache-from type=gha,scope=shop-test \
  --cache-to type=gha,scope=shop-test,mode=max,ignore-error=true \
  --tag registry.example.com/acme/shop:test-latest \
  --push \
  .
