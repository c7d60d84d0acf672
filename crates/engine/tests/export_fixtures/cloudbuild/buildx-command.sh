docker buildx create --name ci --driver docker-container --use --bootstrap

docker buildx build \
  --file Dockerfile \
  --target runtime \
  --build-arg NODE_ENV=production \
  --secret id=npm_token,env=NPM_TOKEN \
  --cache-from type=registry,ref=registry.example.com/acme/shop-cache:runtime-main \
  --cache-to type=registry,ref=registry.example.com/acme/shop-cache:runtime-main,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true \
  --tag registry.example.com/acme/shop:runtime-latest \
  --push \
  .

docker buildx build \
  --file Dockerfile \
  --target test \
  --build-arg NODE_ENV=production \
  --secret id=npm_token,env=NPM_TOKEN \
  --cache-from type=registry,ref=registry.example.com/acme/shop-cache:test-main \
  --cache-to type=registry,ref=registry.example.com/acme/shop-cache:test-main,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true \
  --tag registry.example.com/acme/shop:test-latest \
  --push \
  .
