//! GitHub Actions: the workflow parses as YAML, holds the expected structure, and its build
//! step, run by /bin/sh with the step's env (GitHub expressions substituted), calls
//! `docker buildx build` with exactly the intended words.

mod export_support;
use export_support::*;
use layerlab_engine::export::Ci;
use std::collections::BTreeMap;
use yaml_rust2::Yaml;

const WF: &str = ".github/workflows/docker-image.yml";

/// Substitutes the `${{ … }}` expressions the generator uses; any other one is a bug.
fn eval_expr(v: &str, ctx: &BTreeMap<&str, &str>) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("}}").expect("closed expression") + i;
        let expr = rest[i + 3..j].trim();
        let val = match ctx.get(expr) {
            Some(v) => v,
            // a repository secret that is not defined evaluates to ''
            None if expr.starts_with("secrets.") => "",
            None => panic!("unexpected expression {expr:?}"),
        };
        out.push_str(val);
        rest = &rest[j + 2..];
    }
    out.push_str(rest);
    out
}

fn steps(wf: &Yaml) -> &Vec<Yaml> {
    at(wf, "jobs.build.steps").as_vec().unwrap()
}

fn uses(wf: &Yaml) -> Vec<String> {
    steps(wf)
        .iter()
        .filter_map(|s| s["uses"].as_str().map(String::from))
        .collect()
}

fn build_step(wf: &Yaml) -> &Yaml {
    steps(wf)
        .iter()
        .find(|s| s["run"].as_str().is_some())
        .expect("a run step")
}

/// Runs the build step as GitHub would on `branch` (event push or pull_request).
fn run_build(wf: &Yaml, branch: &str, pr: bool, secrets: &[(&str, &str)]) -> Vec<Vec<String>> {
    let mut ctx: BTreeMap<&str, &str> = BTreeMap::new();
    ctx.insert("github.head_ref || github.ref_name", branch);
    ctx.insert("github.sha", "0123abc");
    ctx.insert(
        "github.event_name != 'pull_request'",
        if pr { "false" } else { "true" },
    );
    ctx.insert("github.repository_owner", "Acme-Corp");
    ctx.insert("runner.temp", "/tmp/runner");
    let names: Vec<String> = secrets
        .iter()
        .map(|(k, _)| format!("secrets.{k}"))
        .collect();
    for ((_, v), n) in secrets.iter().zip(&names) {
        ctx.insert(n.as_str(), v);
    }
    let step = build_step(wf);
    assert_eq!(step["shell"].as_str(), Some("sh"));
    let env: Vec<(String, String)> = str_map(&step["env"])
        .into_iter()
        .map(|(k, v)| (k, eval_expr(&v, &ctx)))
        .collect();
    let script = format!("set -e\n{}", step["run"].as_str().unwrap());
    Sandbox::new().run("/bin/sh", &script, &env)
}

#[test]
fn gha_backend_scopes_per_target_and_exports_only_from_main() {
    let sc = scenario(
        &[("NODE_ENV", "production")],
        &[("npm_token", "s3cr3t-value")],
    );
    let e = gen(
        &multi_stage(),
        &sc,
        &opts(None, None, None, &["runtime", "test"]),
        Ci::Github,
    )
    .unwrap();
    let text = file(&e, WF);
    assert!(!text.contains("s3cr3t-value") && !e.buildx_command.contains("s3cr3t-value"));
    let wf = parse_yaml(text);
    assert_eq!(s(&wf, "on.push.branches.0"), "main");
    assert_eq!(s(&wf, "permissions.packages"), "write");
    let u = uses(&wf);
    assert!(
        u.contains(&"docker/setup-buildx-action@v4".to_string()),
        "{u:?}"
    );
    assert!(
        u.contains(&"crazy-max/ghaction-github-runtime@v3".to_string()),
        "gha needs the runtime token: {u:?}"
    );
    assert!(
        !u.iter().any(|x| x.starts_with("docker/setup-qemu-action")),
        "native platform only"
    );
    let env = str_map(&build_step(&wf)["env"]);
    assert_eq!(env["BUILD_ARG_NODE_ENV"], "production");
    assert_eq!(env["NPM_TOKEN"], "${{ secrets.NPM_TOKEN }}");
    assert_eq!(env["BRANCH"], "${{ github.head_ref || github.ref_name }}");

    // push to main: import and export, mode=max (runtime and test reach other stages)
    let calls = run_build(&wf, "main", false, &[("NPM_TOKEN", "t0k")]);
    let b = builds(&calls);
    assert_eq!(b.len(), 2);
    for (argv, t) in b.iter().zip(["runtime", "test"]) {
        assert_eq!(
            flag_values(argv, "--cache-from"),
            vec![format!("type=gha,scope=web-shop-{t}")]
        );
        assert_eq!(
            flag_values(argv, "--cache-to"),
            vec![format!(
                "type=gha,scope=web-shop-{t},mode=max,ignore-error=true"
            )]
        );
        assert_eq!(
            flag_values(argv, "--secret"),
            vec!["id=npm_token,env=NPM_TOKEN"]
        );
        assert_eq!(
            flag_values(argv, "--build-arg"),
            vec!["NODE_ENV=production"]
        );
        assert!(!flag_values(argv, "--build-arg")
            .iter()
            .any(|a| a.contains("t0k") || a.to_lowercase().contains("npm_token")));
        assert_eq!(
            flag_values(argv, "--tag"),
            vec![format!("ghcr.io/acme-corp/web-shop:{t}-0123abc")],
            "owner lower-cased"
        );
        assert!(argv.contains(&"--push".to_string()));
    }
    // the setup action provides the builder; the script must not create another
    assert!(!calls
        .iter()
        .any(|c| c.get(1).map(String::as_str) == Some("create")));

    // pull request: import only, no push
    let calls = run_build(&wf, "feature/x", true, &[]);
    for argv in builds(&calls) {
        assert!(flag_values(&argv, "--cache-to").is_empty(), "{argv:?}");
        assert_eq!(flag_values(&argv, "--cache-from").len(), 1);
        assert!(!argv.contains(&"--push".to_string()));
        assert!(
            flag_values(&argv, "--secret").is_empty(),
            "secret absent on fork PRs"
        );
    }
}

#[test]
fn registry_backend_on_ecr_uses_branch_tags_and_image_manifest() {
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let e = gen(
        &multi_stage(),
        &scenario(&[], &[]),
        &opts(Some(ecr), Some("shop/web"), Some("registry"), &["runtime"]),
        Ci::Github,
    )
    .unwrap();
    let wf = parse_yaml(file(&e, WF));
    assert!(
        at(&wf, "permissions")["packages"].is_badvalue(),
        "no packages permission off GHCR"
    );
    let login = steps(&wf)
        .iter()
        .find(|s| s["uses"].as_str() == Some("docker/login-action@v4"))
        .unwrap();
    assert_eq!(s(login, "with.registry"), ecr);
    assert_eq!(
        s(login, "with.password"),
        "${{ secrets.REGISTRY_PASSWORD }}"
    );
    assert!(!uses(&wf)
        .iter()
        .any(|u| u.contains("ghaction-github-runtime")));
    let calls = run_build(&wf, "Feature/ABC", false, &[]);
    let argv = &builds(&calls)[0];
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec![
            format!("type=registry,ref={ecr}/shop/web-cache:runtime-feature-abc"),
            format!("type=registry,ref={ecr}/shop/web-cache:runtime-main"),
        ]
    );
    assert_eq!(
        flag_values(argv, "--cache-to"),
        vec![format!("type=registry,ref={ecr}/shop/web-cache:runtime-feature-abc,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true")]
    );
    assert_eq!(
        flag_values(argv, "--tag"),
        vec![format!("{ecr}/shop/web:0123abc")]
    );
}

#[test]
fn local_backend_uses_actions_cache_with_rotation() {
    let e = gen(
        &multi_stage(),
        &scenario(&[], &[]),
        &opts(Some("ghcr.io/acme"), None, Some("local"), &[]),
        Ci::Github,
    )
    .unwrap();
    let wf = parse_yaml(file(&e, WF));
    let cache = steps(&wf)
        .iter()
        .find(|s| s["uses"].as_str() == Some("actions/cache@v4"))
        .expect("actions/cache step");
    assert_eq!(s(cache, "with.path"), "${{ runner.temp }}/.buildx-cache");
    assert!(s(cache, "with.key").ends_with("-${{ github.sha }}"));
    assert_eq!(
        s(cache, "with.restore-keys").trim(),
        "${{ runner.os }}-buildx-web-shop-"
    );
    let run = build_step(&wf)["run"].as_str().unwrap();
    assert!(
        run.contains(
            "rm -rf \"${CACHE_DIR}/test\"; mv \"${CACHE_DIR}/test-new\" \"${CACHE_DIR}/test\""
        ),
        "{run}"
    );
    let argv = &builds(&run_build(&wf, "main", false, &[]))[0];
    assert_eq!(
        flag_values(argv, "--cache-to"),
        vec!["type=local,dest=/tmp/runner/.buildx-cache/test-new,mode=max,ignore-error=true"],
        "final stage 'test' is the default target"
    );
    assert!(flag_values(argv, "--target").is_empty());
}

#[test]
fn foreign_platforms_add_qemu() {
    let mut o = opts(Some("ghcr.io/acme"), None, None, &[]);
    o.platforms = vec!["linux/amd64,linux/arm64".into()];
    let e = gen(&single_stage(), &scenario(&[], &[]), &o, Ci::Github).unwrap();
    let wf = parse_yaml(file(&e, WF));
    assert!(uses(&wf).contains(&"docker/setup-qemu-action@v4".to_string()));
    let argv = &builds(&run_build(&wf, "main", false, &[]))[0];
    assert_eq!(
        flag_values(argv, "--platform"),
        vec!["linux/amd64,linux/arm64"]
    );
}

#[test]
fn hostile_values_round_trip_through_yaml_and_shell_or_are_refused() {
    let sb = Sandbox::new();
    let mut ok = 0;
    for v in hostile_values() {
        let sc = scenario(&[("V", &v)], &[]);
        match gen(
            &single_stage(),
            &sc,
            &opts(Some("ghcr.io/acme"), None, None, &[]),
            Ci::Github,
        ) {
            Err(err) => {
                assert_eq!(err.field, "args.V");
                assert!(
                    v.contains('\n') || v.contains("${{"),
                    "refused {v:?}: {err}"
                );
            }
            Ok(e) => {
                let wf = parse_yaml(file(&e, WF));
                let step = build_step(&wf);
                let env = str_map(&step["env"]);
                assert_eq!(env["BUILD_ARG_V"], v, "YAML scalar round-trip");
                let env: Vec<(String, String)> = vec![
                    ("BUILD_ARG_V".into(), env["BUILD_ARG_V"].clone()),
                    ("IMAGE".into(), env["IMAGE"].clone()),
                    ("BRANCH".into(), "main".into()),
                ];
                let calls = sb.run("/bin/sh", step["run"].as_str().unwrap(), &env);
                assert_eq!(
                    flag_values(&builds(&calls)[0], "--build-arg"),
                    vec![format!("V={v}")]
                );
                ok += 1;
            }
        }
    }
    assert!(ok > 80, "most hostile values are representable: {ok}");
}
