//! Azure, GitLab, Bitbucket, CircleCI, Cloud Build, CodeBuild, Jenkins, bake: each file
//! parses, has the structure the reference asks for, and its build — run like the CI
//! would, with its substitution layer emulated — calls buildx with the intended words.

mod export_support;
use export_support::*;
use layerlab_engine::export::{Ci, Export};

const SECRET_VALUE: &str = "s3cr3t-value-never-printed";

fn shop(ci: Ci, registry: Option<&str>, backend: Option<&str>) -> Export {
    let sc = scenario(
        &[("NODE_ENV", "production")],
        &[("npm_token", SECRET_VALUE)],
    );
    let e = gen(
        &multi_stage(),
        &sc,
        &opts(registry, None, backend, &["runtime", "test"]),
        ci,
    )
    .unwrap();
    for (p, c) in &e.files {
        assert!(!c.contains(SECRET_VALUE), "secret value leaked into {p}");
    }
    assert!(!e.buildx_command.contains(SECRET_VALUE));
    e
}

/// The shared expectations for a registry-cache build of runtime+test on `branch_slug`.
fn assert_registry_builds(calls: &[Vec<String>], image: &str, slug: &str, tag: &str) {
    let b = builds(calls);
    assert_eq!(b.len(), 2, "{calls:?}");
    for (argv, t) in b.iter().zip(["runtime", "test"]) {
        assert_eq!(flag_values(argv, "--target"), vec![t]);
        let mut want_from = vec![format!("type=registry,ref={image}-cache:{t}-main")];
        if slug != "main" {
            want_from.insert(0, format!("type=registry,ref={image}-cache:{t}-{slug}"));
        }
        assert_eq!(
            flag_values(argv, "--cache-from"),
            want_from,
            "current branch, then default branch"
        );
        assert_eq!(
            flag_values(argv, "--cache-to"),
            vec![format!("type=registry,ref={image}-cache:{t}-{slug},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true")]
        );
        assert_eq!(
            flag_values(argv, "--build-arg"),
            vec!["NODE_ENV=production"]
        );
        assert_eq!(
            flag_values(argv, "--secret"),
            vec!["id=npm_token,env=NPM_TOKEN"]
        );
        assert_eq!(
            flag_values(argv, "--tag"),
            vec![format!("{image}:{t}-{tag}")]
        );
        assert!(argv.contains(&"--push".to_string()));
    }
}

fn creates_container_builder(calls: &[Vec<String>]) {
    let c: Vec<_> = calls
        .iter()
        .filter(|c| c.len() > 1 && c[0] == "buildx" && c[1] == "create")
        .collect();
    assert_eq!(c.len(), 1, "{calls:?}");
    assert_eq!(flag_values(c[0], "--driver"), vec!["docker-container"]);
}

#[test]
fn azure_registry() {
    let e = shop(Ci::Azure, Some("acme.azurecr.io/team"), None);
    let y = parse_yaml(file(&e, "azure-pipelines.yml"));
    assert_eq!(s(&y, "trigger.branches.include.0"), "main");
    assert_eq!(s(&y, "steps.1.task"), "Docker@2");
    assert_eq!(
        s(&y, "steps.1.inputs.command"),
        "login",
        "Docker@2 only logs in (buildAndPush drops cache flags)"
    );
    let step = &y["steps"][2];
    let env = str_map(&step["env"]);
    assert_eq!(env["NPM_TOKEN"], "$(NPM_TOKEN)", "secret mapped explicitly");
    assert_eq!(env["BUILD_ARG_NODE_ENV"], "production");
    assert_eq!(env["SOURCE_BRANCH"], "$(Build.SourceBranch)");
    let calls = run_ci(Ci::Azure, &e, "feature/Pay", &[("NPM_TOKEN", "t")]);
    creates_container_builder(&calls);
    assert_registry_builds(&calls, "acme.azurecr.io/team/web-shop", "feature-pay", SHA);
}

#[test]
fn azure_local_cache_task_keys() {
    let mut sc = scenario(&[], &[]);
    sc.context.insert(
        "package-lock.json".into(),
        layerlab_engine::scenario::FileSpec::Content("{}".into()),
    );
    sc.context.insert(
        "web app/yarn.lock".into(),
        layerlab_engine::scenario::FileSpec::Content("".into()),
    );
    let e = gen(
        &multi_stage(),
        &sc,
        &opts(Some("acme.azurecr.io"), None, Some("local"), &["runtime"]),
        Ci::Azure,
    )
    .unwrap();
    let y = parse_yaml(file(&e, "azure-pipelines.yml"));
    let cache = &y["steps"][2];
    assert_eq!(s(cache, "task"), "Cache@2");
    assert_eq!(
        s(cache, "inputs.key"),
        "buildkit | \"$(Agent.OS)\" | \"web-shop-runtime\" | $(Build.SourcesDirectory)/Dockerfile | $(Build.SourcesDirectory)/package-lock.json"
    );
    assert_eq!(
        s(cache, "inputs.restoreKeys").trim_end(),
        "buildkit | \"$(Agent.OS)\" | \"web-shop-runtime\"",
        "restore prefix: immutable keys need a fallback"
    );
    assert_eq!(
        s(cache, "inputs.path"),
        "$(Pipeline.Workspace)/.buildx-cache/runtime"
    );
    assert!(
        e.notes.iter().any(|n| n.contains("web app/yarn.lock")),
        "unsafe lockfile path skipped with a note"
    );
    let calls = run_ci(Ci::Azure, &e, "main", &[]);
    let argv = &builds(&calls)[0];
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec!["type=local,src=/tmp/ws/.buildx-cache/runtime"]
    );
    assert_eq!(
        flag_values(argv, "--cache-to"),
        vec!["type=local,dest=/tmp/ws/.buildx-cache/runtime-new,mode=max,ignore-error=true"]
    );
    assert!(file(&e, "azure-pipelines.yml").contains("mv \"${CACHE_DIR}/runtime-new\""));
}

#[test]
fn gitlab_default_project_registry() {
    let e = shop(Ci::Gitlab, None, None);
    let y = parse_yaml(file(&e, ".gitlab-ci.yml"));
    let job = &y["build-image"];
    assert_eq!(s(job, "services.0"), "docker:27-dind");
    assert_eq!(s(job, "variables.IMAGE"), "$CI_REGISTRY_IMAGE/web-shop");
    let calls = run_ci(Ci::Gitlab, &e, "Feature/X", &[("NPM_TOKEN", "t")]);
    // TLS dind: context first, then the builder on it (docker/buildx#413)
    let ctx = calls
        .iter()
        .position(|c| c[0] == "context" && c[1] == "create")
        .expect("context create");
    let create = calls
        .iter()
        .position(|c| c[0] == "buildx" && c[1] == "create")
        .unwrap();
    assert!(ctx < create);
    assert_eq!(calls[create][2], "ci-ctx");
    creates_container_builder(&calls);
    assert_registry_builds(
        &calls,
        "registry.gitlab.com/acme/shop/web-shop",
        "feature-x",
        "0123abc",
    );
}

#[test]
fn gitlab_local_cache_and_dollar_escaping() {
    let sc = scenario(&[("PRICE", "$5 ${HOME} $$")], &[]);
    let e = gen(
        &single_stage(),
        &sc,
        &opts(Some("reg.io"), Some("x"), Some("local"), &[]),
        Ci::Gitlab,
    )
    .unwrap();
    let y = parse_yaml(file(&e, ".gitlab-ci.yml"));
    assert_eq!(
        s(&y, "build-image.variables.BUILD_ARG_PRICE"),
        "$$5 $${HOME} $$$$"
    );
    assert_eq!(s(&y, "build-image.cache.key.files.0"), "Dockerfile");
    assert_eq!(s(&y, "build-image.cache.paths.0"), ".buildx-cache/");
    let argv = &builds(&run_ci(Ci::Gitlab, &e, "main", &[]))[0];
    assert_eq!(
        flag_values(argv, "--build-arg"),
        vec!["PRICE=$5 ${HOME} $$"]
    );
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec!["type=local,src=/builds/acme/shop/.buildx-cache/image"]
    );
}

#[test]
fn bitbucket_runtime_v3_registry() {
    let e = shop(Ci::Bitbucket, Some("docker.io/acme"), None);
    let y = parse_yaml(file(&e, "bitbucket-pipelines.yml"));
    assert_eq!(
        s(&y, "options.runtime.cloud.version"),
        "3",
        "v2 refuses the privileged builder"
    );
    assert_eq!(s(&y, "pipelines.default.0.step.services.0"), "docker");
    let calls = run_ci(Ci::Bitbucket, &e, "release/1.2", &[("NPM_TOKEN", "t")]);
    creates_container_builder(&calls);
    let login = calls.iter().find(|c| c[0] == "login").unwrap();
    assert_eq!(login.last().unwrap(), "docker.io");
    assert_registry_builds(&calls, "docker.io/acme/web-shop", "release-1.2", SHA);
}

#[test]
fn circleci_registry_with_context() {
    let e = shop(Ci::Circleci, Some("ghcr.io/acme"), None);
    let y = parse_yaml(file(&e, ".circleci/config.yml"));
    assert_eq!(at(&y, "version").as_f64(), Some(2.1));
    assert_eq!(s(&y, "jobs.build-image.steps.1"), "setup_remote_docker");
    assert_eq!(
        s(&y, "workflows.build.jobs.0.build-image.context"),
        "registry-credentials"
    );
    let calls = run_ci(Ci::Circleci, &e, "main", &[("NPM_TOKEN", "t")]);
    assert!(calls.iter().any(|c| c[0] == "context" && c[1] == "create"));
    creates_container_builder(&calls);
    assert_registry_builds(&calls, "ghcr.io/acme/web-shop", "main", SHA);
}

#[test]
fn circleci_local_save_restore() {
    let e = gen(
        &single_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), None, Some("local"), &[]),
        Ci::Circleci,
    )
    .unwrap();
    let y = parse_yaml(file(&e, ".circleci/config.yml"));
    let steps = at(&y, "jobs.build-image.steps").as_vec().unwrap();
    let restore = steps
        .iter()
        .find(|s| !s["restore_cache"].is_badvalue())
        .unwrap();
    let save = steps
        .iter()
        .find(|s| !s["save_cache"].is_badvalue())
        .unwrap();
    assert_eq!(
        s(restore, "restore_cache.keys.0"),
        s(save, "save_cache.key")
    );
    assert_eq!(s(restore, "restore_cache.keys.2"), "buildx-web-shop-");
    assert_eq!(s(save, "save_cache.paths.0"), ".buildx-cache");
}

#[test]
fn cloudbuild_artifact_registry_default() {
    let e = shop(Ci::Cloudbuild, None, None);
    let text = file(&e, "cloudbuild.yaml");
    let y = parse_yaml(text);
    assert_eq!(s(&y, "availableSecrets.secretManager.0.env"), "NPM_TOKEN");
    assert_eq!(
        s(&y, "availableSecrets.secretManager.0.versionName"),
        "projects/$PROJECT_ID/secrets/npm_token/versions/latest"
    );
    assert_eq!(s(&y, "steps.0.secretEnv.0"), "NPM_TOKEN");
    let calls = run_ci(Ci::Cloudbuild, &e, "main", &[("NPM_TOKEN", "t")]);
    creates_container_builder(&calls);
    assert_registry_builds(
        &calls,
        "europe-west1-docker.pkg.dev/my-proj/containers/web-shop",
        "main",
        "0123abc",
    );
    // local cache is refused: nothing survives between builds
    let err = gen(
        &single_stage(),
        &scenario(&[], &[]),
        &opts(None, None, Some("local"), &[]),
        Ci::Cloudbuild,
    )
    .unwrap_err();
    assert_eq!(err.field, "backend");
}

#[test]
fn codebuild_ecr_default_and_literal() {
    let e = shop(Ci::Codebuild, None, None);
    let y = parse_yaml(file(&e, "buildspec.yml"));
    assert_eq!(at(&y, "version").as_f64(), Some(0.2));
    assert_eq!(s(&y, "env.secrets-manager.NPM_TOKEN"), "npm_token");
    let calls = run_ci(Ci::Codebuild, &e, "main", &[("NPM_TOKEN", "t")]);
    creates_container_builder(&calls);
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let login = calls.iter().find(|c| c[0] == "login").unwrap();
    assert_eq!(
        login,
        &["login", "--username", "AWS", "--password-stdin", ecr]
    );
    assert_registry_builds(&calls, &format!("{ecr}/web-shop"), "main", SHA);

    let e = shop(
        Ci::Codebuild,
        Some("999999999999.dkr.ecr.us-east-2.amazonaws.com"),
        None,
    );
    assert!(file(&e, "buildspec.yml").contains("aws ecr get-login-password --region us-east-2"));
    let calls = run_ci(Ci::Codebuild, &e, "dev", &[]);
    assert_eq!(flag_values(&builds(&calls)[0], "--cache-to")[0], "type=registry,ref=999999999999.dkr.ecr.us-east-2.amazonaws.com/web-shop-cache:runtime-dev,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true");
}

#[test]
fn jenkins_single_quoted_sh_and_credentials() {
    let e = shop(Ci::Jenkins, Some("registry.example.com/team"), None);
    let text = file(&e, "Jenkinsfile");
    assert!(text.contains("string(credentialsId: 'npm_token', variable: 'NPM_TOKEN')"));
    assert!(
        !text.contains("sh \""),
        "never a Groovy-interpolated sh string"
    );
    let calls = run_ci(Ci::Jenkins, &e, "main", &[("NPM_TOKEN", "t")]);
    // idempotent builder, selected with --builder (shared agents)
    creates_container_builder(&calls);
    for argv in builds(&calls) {
        assert_eq!(flag_values(&argv, "--builder"), vec!["ci"]);
    }
    assert_registry_builds(&calls, "registry.example.com/team/web-shop", "main", SHA);
}

#[test]
fn bake_targets_cache_and_escaping() {
    let sc = scenario(
        &[("A", "x \"${y}\" %{z} \\")],
        &[("npm_token", SECRET_VALUE)],
    );
    let e = gen(
        &multi_stage(),
        &sc,
        &opts(Some("r.io"), Some("shop"), None, &["runtime", "test"]),
        Ci::Bake,
    )
    .unwrap();
    let h = file(&e, "docker-bake.hcl");
    assert!(!h.contains(SECRET_VALUE));
    let line = h
        .lines()
        .find(|l| l.trim_start().starts_with("\"A\" = "))
        .unwrap();
    let lit = line.trim_start().strip_prefix("\"A\" = ").unwrap();
    assert_eq!(hcl_decode(lit), "x \"${y}\" %{z} \\");
    assert!(h.contains("group \"default\" {\n  targets = [\"runtime\", \"test\"]\n}"));
    assert!(h.contains("  secret = [\"id=npm_token,env=NPM_TOKEN\"]"));
    assert!(h.contains("target \"runtime\" {\n  inherits = [\"_common\"]\n  target = \"runtime\"\n  tags = [\"${IMAGE}:runtime-${TAG}\"]\n  cache-from = [\"type=registry,ref=${IMAGE}-cache:runtime-${SLUG}\", \"type=registry,ref=${IMAGE}-cache:runtime-main\"]\n  cache-to = [\"type=registry,ref=${IMAGE}-cache:runtime-${SLUG},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true\"]\n}"), "{h}");
    assert!(!h.contains("build-arg"));
}

#[test]
fn every_ci_refuses_gha_except_github_and_bake() {
    for ci in Ci::ALL {
        let r = gen(
            &single_stage(),
            &scenario(&[], &[]),
            &opts(None, None, Some("gha"), &[]),
            ci,
        );
        match ci {
            Ci::Github | Ci::Bake => assert!(r.is_ok(), "{ci}"),
            _ => assert_eq!(r.unwrap_err().field, "backend", "{ci}"),
        }
    }
}

#[test]
fn inline_backend_is_min_mode_and_warns_for_multi_stage() {
    let e = gen(
        &multi_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), None, Some("inline"), &["runtime"]),
        Ci::Gitlab,
    )
    .unwrap();
    assert!(e.notes.iter().any(|n| n.contains("min-mode only")));
    let argv = &builds(&run_ci(Ci::Gitlab, &e, "main", &[]))[0];
    assert_eq!(flag_values(argv, "--cache-to"), vec!["type=inline"]);
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec!["type=registry,ref=r.io/web-shop:cache-runtime-main"]
    );
    assert!(flag_values(argv, "--tag").contains(&"r.io/web-shop:cache-runtime-main".to_string()));
    let argv = &builds(&run_ci(Ci::Gitlab, &e, "fix/1", &[]))[0];
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec![
            "type=registry,ref=r.io/web-shop:cache-runtime-fix-1",
            "type=registry,ref=r.io/web-shop:cache-runtime-main"
        ]
    );
}
