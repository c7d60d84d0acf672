//! Simulate arbitrary Dockerfiles under every cache source and builder setup, on both engine
//! profiles, with a scenario whose changes are picked by the input: must never panic or hang,
//! and every instruction of build B gets exactly one verdict per builder.
#![no_main]

use layerlab_engine::scenario::{BuilderSetup, CacheSource, FileSpec, RerunOutput};
use layerlab_engine::{simulate_with, Engine, Scenario, SimOptions};
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 6] = [
    "a.txt",
    "src/b.txt",
    "app.py",
    "requirements.txt",
    ".git/HEAD",
    "dir/sub/c.sh",
];
const SOURCES: [CacheSource; 6] = [
    CacheSource::Local,
    CacheSource::None,
    CacheSource::CacheFromImage,
    CacheSource::ExportMin,
    CacheSource::ExportMax,
    CacheSource::SaveLoad,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (ctl, rest) = data.split_at(4);
    // An optional second Dockerfile (B's) after a NUL byte.
    let (a, b) = match rest.iter().position(|&c| c == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut s = Scenario {
        dockerfile: String::from_utf8_lossy(a).into_owned(),
        ..Default::default()
    };
    for (i, f) in FILES.iter().enumerate() {
        let spec = if i % 2 == 0 {
            FileSpec::Content(format!("{f}\n"))
        } else {
            FileSpec::Full {
                content: format!("{f}\n"),
                mode: Some("0755".into()),
            }
        };
        s.context.insert((*f).into(), spec);
    }
    let pick = |bit: u8| ctl[0] & (1 << bit) != 0;
    s.cache.source = SOURCES[(ctl[1] % 6) as usize];
    s.cache.inline_cache = pick(0);
    s.builder_setup = if pick(1) {
        BuilderSetup::Container
    } else {
        BuilderSetup::DockerDriver
    };
    if pick(2) {
        s.dockerignore = Some(".git\n**/*.sh\n!dir/sub/c.sh\n".into());
    }
    let f = FILES[(ctl[2] % 6) as usize];
    match ctl[2] / 6 % 5 {
        0 => {
            s.change.files.insert(f.into(), FileSpec::Content("edited\n".into()));
        }
        1 => s.change.removed.push(f.into()),
        2 => s.change.touched.push(f.into()),
        3 => {
            s.change.chmod.insert(f.into(), "0600".into());
        }
        _ => {
            s.change.files.insert("new/added.txt".into(), FileSpec::Content("x".into()));
        }
    }
    // Build args, target, base image and rerun choices come from names in the text itself.
    let df = layerlab_engine::parse(&s.dockerfile);
    let mut words = df.stages.iter().filter_map(|st| st.name.clone());
    if pick(3) {
        s.target = words.next();
    }
    if pick(4) {
        s.change.target = df.stages.iter().filter_map(|st| st.name.clone()).last();
    }
    for name in ["V", "BASE", "PIP_INDEX_URL", "CACHEBUST"] {
        if pick(5) {
            s.args.insert(name.into(), "1".into());
        }
        if pick(6) {
            s.change.args.insert(name.into(), if ctl[3] & 1 == 0 { Some("2".into()) } else { None });
        }
    }
    if pick(7) {
        if let Some(st) = df.stages.first() {
            if let Some(ins) = df.instructions.get(st.from) {
                let img = ins.text.split_whitespace().nth(1).unwrap_or("").to_string();
                s.change.base_rebuilt.push(img);
                s.cache.cache_from_stages = df.stages.iter().filter_map(|st| st.name.clone()).take(2).collect();
            }
        }
    }
    for ins in df.instructions.iter().take(3) {
        let out = match ctl[3] >> 1 & 3 {
            0 => RerunOutput::Identical,
            1 => RerunOutput::Different,
            _ => RerunOutput::Fails,
        };
        s.rerun_output.insert(ins.span.line.to_string(), out);
    }
    if let Some(b) = b {
        s.change.dockerfile = Some(String::from_utf8_lossy(b).into_owned());
    }

    let df_b = layerlab_engine::parse(s.dockerfile_b());
    for engine in [Engine::Modern, Engine::Docker2010] {
        let r = simulate_with(&s, SimOptions { engine });
        for rep in [&r.builders.classic, &r.builders.buildkit] {
            assert_eq!(
                rep.steps.len(),
                df_b.instructions.len(),
                "one verdict per instruction of B"
            );
            for (v, ins) in rep.steps.iter().zip(&df_b.instructions) {
                assert_eq!(v.line, ins.span.line, "verdicts in instruction order");
            }
        }
    }
});
