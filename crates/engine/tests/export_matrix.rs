//! Every CI × every backend it accepts × single/multi-stage: YAML files parse, the build
//! runs, and the checklist of pipelines.md §16 holds on the actual buildx argv.

mod export_support;
use export_support::*;
use layerlab_engine::export::{Backend, Ci};

#[test]
fn checklist_holds_for_every_ci_and_backend() {
    let sc = scenario(
        &[("NODE_ENV", "production"), ("API_TOKEN", "x")],
        &[("npm_token", "s3cr3t")],
    );
    let mut combos = 0;
    for ci in Ci::ALL {
        for backend in Backend::ALL {
            for (df, targets, multi) in [
                (multi_stage(), vec!["runtime", "test"], true),
                (single_stage(), vec![], false),
            ] {
                let r = gen(
                    &df,
                    &sc,
                    &opts(
                        Some("reg.example/team"),
                        None,
                        Some(backend.name()),
                        &targets,
                    ),
                    ci,
                );
                let e = match r {
                    Err(err) => {
                        assert_eq!(err.field, "backend", "{ci}/{backend:?}: {err}");
                        continue;
                    }
                    Ok(e) => e,
                };
                combos += 1;
                for (p, c) in &e.files {
                    assert!(!c.contains("s3cr3t"), "{ci}: secret value in {p}");
                    if p.ends_with(".yml") || p.ends_with(".yaml") {
                        parse_yaml(c);
                    }
                }
                // §16.7: the credential-looking build arg gets a note
                assert!(e.notes.iter().any(|n| n.contains("API_TOKEN")), "{ci}");
                if ci == Ci::Bake {
                    continue;
                }
                let calls = run_ci(ci, &e, "main", &[("NPM_TOKEN", "t")]);
                // §16.1: a docker-container builder (GitHub: setup-buildx-action)
                if backend.needs_container_driver() {
                    if ci == Ci::Github {
                        assert!(file(&e, ".github/workflows/docker-image.yml")
                            .contains("docker/setup-buildx-action@"));
                    } else {
                        let c = calls
                            .iter()
                            .find(|c| c[0] == "buildx" && c[1] == "create")
                            .unwrap_or_else(|| panic!("{ci}/{backend:?}: no builder"));
                        assert_eq!(flag_values(c, "--driver"), vec!["docker-container"]);
                    }
                }
                let b = builds(&calls);
                assert_eq!(b.len(), if multi { 2 } else { 1 }, "{ci}/{backend:?}");
                let mut to_locations = vec![];
                for argv in &b {
                    // §16.2: cache-to present, mode=max exactly when stages matter
                    let to = flag_values(argv, "--cache-to");
                    assert_eq!(to.len(), 1, "{ci}/{backend:?}: {argv:?}");
                    let to = &to[0];
                    let want_max = multi && backend != Backend::Inline;
                    assert_eq!(to.contains("mode=max"), want_max, "{ci}/{backend:?}: {to}");
                    if backend != Backend::Inline {
                        assert!(to.contains("ignore-error=true"), "{to}");
                    }
                    if backend == Backend::Registry {
                        assert!(
                            to.contains(",image-manifest=true,oci-mediatypes=true"),
                            "{to}"
                        );
                        assert!(
                            !to.contains("ref=reg.example/team/web-shop:"),
                            "cache ref differs from the image"
                        );
                    }
                    if backend == Backend::Inline {
                        // inline cache lives in the pushed image: its per-target cache tag
                        let tags = flag_values(argv, "--tag");
                        let t = tags
                            .iter()
                            .find(|t| t.contains(":cache-"))
                            .expect("cache tag");
                        to_locations.push(t.clone());
                    } else {
                        // the location is everything but the export options
                        let loc: Vec<&str> = to
                            .split(',')
                            .filter(|kv| {
                                !["mode", "ignore-error", "image-manifest", "oci-mediatypes"]
                                    .contains(&kv.split('=').next().unwrap())
                            })
                            .collect();
                        to_locations.push(loc.join(","));
                    }
                    // §16.3: imports
                    let from = flag_values(argv, "--cache-from");
                    assert!(!from.is_empty());
                    for f in &from {
                        assert!(
                            !f.contains("mode="),
                            "mode= is meaningless on cache-from: {f}"
                        );
                    }
                    // §16.7: the secret is a --secret, never a build arg
                    assert_eq!(
                        flag_values(argv, "--secret"),
                        vec!["id=npm_token,env=NPM_TOKEN"]
                    );
                    assert!(flag_values(argv, "--build-arg")
                        .iter()
                        .all(|a| !a.to_lowercase().contains("npm_token")));
                }
                // one cache location per target
                to_locations.sort();
                to_locations.dedup();
                assert_eq!(
                    to_locations.len(),
                    b.len(),
                    "{ci}/{backend:?}: shared cache location {to_locations:?}"
                );
            }
        }
    }
    assert!(combos >= 100, "{combos}");
}
