//! `--ci shell` / `--ci make` and the literal buildx command: the generated text is run
//! by the real /bin/sh (and bash, make) against a fake `docker` that records its argv.

mod export_support;
use export_support::*;
use layerlab_engine::export::Ci;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn build_sh_runs_with_registry_cache_per_target_and_branch() {
    let df = multi_stage();
    let sc = scenario(
        &[("NODE_ENV", "production")],
        &[("npm_token", "s3cr3t-value")],
    );
    let o = opts(
        Some("registry.acme.io/team"),
        None,
        None,
        &["runtime", "test"],
    );
    let e = gen(&df, &sc, &o, Ci::Shell).unwrap();
    let script = file(&e, "build.sh");
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(!script.contains("s3cr3t-value") && !e.buildx_command.contains("s3cr3t-value"));

    let sb = Sandbox::new();
    for shell in ["/bin/sh", "bash"] {
        let calls = sb.run(
            shell,
            script,
            &env(&[
                ("BRANCH", "Feature/Login"),
                ("TAG", "abc123"),
                ("NPM_TOKEN", "tok"),
            ]),
        );
        // builder: docker-container, created only when missing, selected with --builder.
        let create: Vec<_> = calls
            .iter()
            .filter(|c| c.len() > 1 && c[0] == "buildx" && c[1] == "create")
            .collect();
        assert_eq!(create.len(), 1, "{calls:?}");
        assert_eq!(flag_values(create[0], "--driver"), vec!["docker-container"]);
        let b = builds(&calls);
        assert_eq!(b.len(), 2, "one build per target");
        for (argv, t) in b.iter().zip(["runtime", "test"]) {
            assert_eq!(flag_values(argv, "--builder"), vec!["ci"]);
            assert_eq!(flag_values(argv, "--target"), vec![t]);
            assert_eq!(
                flag_values(argv, "--cache-from"),
                vec![
                    format!(
                        "type=registry,ref=registry.acme.io/team/web-shop-cache:{t}-feature-login"
                    ),
                    format!("type=registry,ref=registry.acme.io/team/web-shop-cache:{t}-main"),
                ]
            );
            assert_eq!(
                flag_values(argv, "--cache-to"),
                vec![format!("type=registry,ref=registry.acme.io/team/web-shop-cache:{t}-feature-login,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true")]
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
                vec![format!("registry.acme.io/team/web-shop:{t}-abc123")]
            );
            assert!(argv.contains(&"--push".to_string()));
            assert_eq!(argv.last().unwrap(), ".");
        }
    }
    // PUSH=false drops --push; an unset secret variable drops --secret.
    let calls = sb.run("/bin/sh", script, &env(&[("PUSH", "false")]));
    for argv in builds(&calls) {
        assert!(!argv.contains(&"--push".to_string()));
        assert!(flag_values(&argv, "--secret").is_empty());
        // not a git repository: branch falls back to main
        assert!(flag_values(&argv, "--cache-to")[0].contains("-main,"));
    }
}

#[test]
fn single_stage_target_does_not_ask_for_mode_max() {
    let e = gen(
        &single_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), Some("x"), None, &[]),
        Ci::Shell,
    )
    .unwrap();
    let calls = Sandbox::new().run("/bin/sh", file(&e, "build.sh"), &[]);
    let to = flag_values(&builds(&calls)[0], "--cache-to");
    assert_eq!(to.len(), 1);
    assert!(!to[0].contains("mode=max"), "{to:?}");
    assert!(to[0].contains("image-manifest=true,oci-mediatypes=true"));
    // a target that reaches another stage does
    let e = gen(
        &multi_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), Some("x"), None, &["runtime"]),
        Ci::Shell,
    )
    .unwrap();
    assert!(e.buildx_command.contains("mode=max"));
    // the first stage alone does not
    let e = gen(
        &multi_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), Some("x"), None, &["deps"]),
        Ci::Shell,
    )
    .unwrap();
    assert!(
        !e.buildx_command.contains("mode=max"),
        "{}",
        e.buildx_command
    );
}

#[test]
fn local_backend_rotates_the_cache_dir() {
    let e = gen(
        &multi_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), Some("x"), Some("local"), &["runtime"]),
        Ci::Shell,
    )
    .unwrap();
    let script = file(&e, "build.sh");
    let sb = Sandbox::new();
    // Simulate what BuildKit would have written: an old dir and the new export.
    let cache = sb.dir.join("work/.buildx-cache");
    std::fs::create_dir_all(cache.join("runtime/blobs/old")).unwrap();
    std::fs::create_dir_all(cache.join("runtime-new/blobs/new")).unwrap();
    let calls = sb.run("/bin/sh", script, &[]);
    let argv = &builds(&calls)[0];
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec!["type=local,src=.buildx-cache/runtime"]
    );
    assert_eq!(
        flag_values(argv, "--cache-to"),
        vec!["type=local,dest=.buildx-cache/runtime-new,mode=max,ignore-error=true"]
    );
    assert!(
        cache.join("runtime/blobs/new").is_dir(),
        "new export moved into place"
    );
    assert!(
        !cache.join("runtime/blobs/old").exists(),
        "old blobs deleted (the grow-forever fix)"
    );
    assert!(!cache.join("runtime-new").exists());
}

#[test]
fn literal_command_splits_into_the_intended_words() {
    let sc = scenario(
        &[("GREETING", "it's $(id) `x` #1")],
        &[("npm_token", "nope")],
    );
    let e = gen(
        &multi_stage(),
        &sc,
        &opts(
            Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some("web"),
            None,
            &["runtime"],
        ),
        Ci::Shell,
    )
    .unwrap();
    let calls = sh_words(&e.buildx_command, &[]);
    assert_eq!(calls.len(), 2, "{}", e.buildx_command);
    assert_eq!(
        calls[0],
        [
            "buildx",
            "create",
            "--name",
            "ci",
            "--driver",
            "docker-container",
            "--use",
            "--bootstrap"
        ]
    );
    let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let want: Vec<String> = [
        "buildx", "build", "--file", "Dockerfile", "--target", "runtime",
        "--build-arg", "GREETING=it's $(id) `x` #1",
        "--secret", "id=npm_token,env=NPM_TOKEN",
        "--cache-from", &format!("type=registry,ref={ecr}/web-cache:runtime-main"),
        "--cache-to", &format!("type=registry,ref={ecr}/web-cache:runtime-main,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true"),
        "--tag", &format!("{ecr}/web:latest"),
        "--push", ".",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(calls[1], want);
}

#[test]
fn literal_command_with_s3_references_environment() {
    let e = gen(
        &single_stage(),
        &scenario(&[], &[]),
        &opts(Some("r.io"), Some("x"), Some("s3"), &[]),
        Ci::Shell,
    )
    .unwrap();
    let calls = sh_words(
        &e.buildx_command,
        &[
            ("AWS_REGION".into(), "eu-west-1".into()),
            ("S3_CACHE_BUCKET".into(), "b".into()),
        ],
    );
    let argv = &builds(&calls)[0];
    assert_eq!(
        flag_values(argv, "--cache-from"),
        vec!["type=s3,region=eu-west-1,bucket=b,name=x-image-main"]
    );
    assert_eq!(
        flag_values(argv, "--cache-to"),
        vec!["type=s3,region=eu-west-1,bucket=b,name=x-image-main,ignore-error=true"]
    );
}

#[test]
fn hostile_build_arg_values_round_trip_or_are_refused() {
    let sb = Sandbox::new();
    let mut refused = 0;
    for v in hostile_values() {
        let sc = scenario(&[("V", &v)], &[]);
        match gen(
            &single_stage(),
            &sc,
            &opts(Some("r.io"), Some("x"), None, &[]),
            Ci::Shell,
        ) {
            Err(err) => {
                assert_eq!(err.field, "args.V");
                assert!(
                    v.contains('\n'),
                    "refused a representable value {v:?}: {err}"
                );
                assert!(err.message.contains("newline"), "{err}");
                refused += 1;
            }
            Ok(e) => {
                // build.sh default assignment
                let calls = sb.run("/bin/sh", file(&e, "build.sh"), &[]);
                assert_eq!(
                    flag_values(&builds(&calls)[0], "--build-arg"),
                    vec![format!("V={v}")],
                    "build.sh with {v:?}"
                );
                // the literal command
                let calls = sb.run("/bin/sh", &e.buildx_command, &[]);
                assert_eq!(
                    flag_values(&builds(&calls)[0], "--build-arg"),
                    vec![format!("V={v}")],
                    "buildx command with {v:?}"
                );
            }
        }
    }
    assert!(refused > 0, "the corpus contains newline values");
}

#[test]
fn makefile_runs_build_sh() {
    if std::process::Command::new("make")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("SKIP makefile_runs_build_sh: make is not installed");
        return;
    }
    let e = gen(
        &multi_stage(),
        &scenario(&[("A", "x $y")], &[]),
        &opts(Some("r.io"), Some("x"), None, &["runtime"]),
        Ci::Make,
    )
    .unwrap();
    let sb = Sandbox::new();
    for (p, c) in &e.files {
        std::fs::write(sb.dir.join("work").join(p), c).unwrap();
    }
    let calls = sb.run("/bin/sh", "make -s image TAG=v1", &[]);
    let argv = &builds(&calls)[0];
    assert_eq!(flag_values(argv, "--tag"), vec!["r.io/x:v1"]);
    assert_eq!(flag_values(argv, "--build-arg"), vec!["A=x $y"]);
}

#[test]
fn unrepresentable_names_are_refused_with_the_field() {
    let df = multi_stage();
    let sc = scenario(&[], &[]);
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        &'a [&'a str],
        &'a str,
        &'a str,
    );
    let cases: &[Case] = &[
        (Some("r.io"), Some("a,b"), &[], "image", "','"),
        (Some("r.io"), Some("web\nx"), &[], "image", "newline"),
        (Some("r.io"), Some("Web"), &[], "image", "lower-case"),
        (Some("r.io"), Some("web:1.0"), &[], "image", "tag"),
        (Some("r.io"), Some("-web"), &[], "image", "path component"),
        (Some("R.io"), None, &[], "registry", "lower-case"),
        (Some("r.io:99x"), None, &[], "registry", "port"),
        (Some("r.io,x"), None, &[], "registry", "','"),
        (
            Some("r.io"),
            None,
            &["nope"],
            "targets",
            "no stage named 'nope'; stages: deps, build, runtime, test",
        ),
        (Some("r.io"), None, &["a b"], "targets", "a space"),
        (Some("r.io"), Some("ghcr.io/x"), &[], "image", "registry"),
    ];
    for (reg, img, targets, field, msg) in cases {
        let err = gen(&df, &sc, &opts(*reg, *img, None, targets), Ci::Shell).unwrap_err();
        assert_eq!(&err.field, field, "{reg:?} {img:?}: {err}");
        assert!(err.message.contains(msg), "{reg:?} {img:?}: {err}");
    }
    let mut o = opts(None, None, None, &[]);
    o.platforms = vec!["linux/AMD64".into()];
    assert_eq!(gen(&df, &sc, &o, Ci::Shell).unwrap_err().field, "platforms");
    let bad_secret = scenario(&[], &[("a,b", "v")]);
    let err = gen(&df, &bad_secret, &opts(None, None, None, &[]), Ci::Shell).unwrap_err();
    assert_eq!(err.field, "secrets.a,b");
    let clash = scenario(&[("npm_token", "x")], &[]);
    let err = gen(&df, &clash, &opts(None, None, None, &[]), Ci::Shell).unwrap_err();
    assert!(
        err.message.contains("both a build arg and a secret"),
        "{err}"
    );
    let err = gen(&df, &sc, &opts(None, None, Some("gha"), &[]), Ci::Shell).unwrap_err();
    assert_eq!(err.field, "backend");
}

#[test]
fn credential_like_build_args_get_a_note() {
    let e = gen(
        &single_stage(),
        &scenario(&[("PIP_EXTRA_INDEX_URL", "https://u:p@x")], &[]),
        &opts(Some("r.io"), None, None, &[]),
        Ci::Shell,
    )
    .unwrap();
    assert!(
        e.notes
            .iter()
            .any(|n| n.contains("PIP_EXTRA_INDEX_URL") && n.contains("secret")),
        "{:?}",
        e.notes
    );
}
