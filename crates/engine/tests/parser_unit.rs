//! Parser behaviour that needs no shared data: spans, line endings, BOM, directives,
//! diagnostics and recovery, flags, mounts, heredocs, stages, hostile inputs.

use layerlab_engine::ast::{Command, CommandLine, Dockerfile};
use layerlab_engine::dump::dump;
use layerlab_engine::syntax::MAX_INPUT_BYTES;
use layerlab_engine::{parse, Diagnostic, Severity};

fn errors(df: &Dockerfile) -> Vec<&Diagnostic> {
    df.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn one_error(df: &Dockerfile) -> &Diagnostic {
    let e = errors(df);
    assert_eq!(
        e.len(),
        1,
        "expected exactly one error, got {:?}",
        df.diagnostics
    );
    e[0]
}

#[test]
fn spans_cover_keyword_to_last_line() {
    let text = "FROM alpine AS build\n\n  RUN echo a \\\n    && echo b\nCOPY --from=build /a /b\n";
    let df = parse(text);
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    assert_eq!(df.instructions.len(), 3);
    let run = &df.instructions[1];
    assert_eq!(run.keyword, "RUN");
    let s = run.span;
    assert_eq!((s.line, s.col, s.end_line, s.end_col), (3, 3, 4, 14));
    assert_eq!(&text[s.start..s.end], "RUN echo a \\\n    && echo b");
    assert_eq!(run.text, "RUN echo a \\\n    && echo b");
    let copy = &df.instructions[2].span;
    assert_eq!(
        (copy.line, copy.col, copy.end_line, copy.end_col),
        (5, 1, 5, 24)
    );
    // Node and instruction share the span.
    assert_eq!(df.nodes[1].span, df.instructions[1].span);
    assert_eq!(df.nodes[1].args, vec!["echo a     && echo b"]);
}

#[test]
fn columns_count_characters_not_bytes() {
    let df = parse("FROM alpine\nLABEL é=1 ünknown\n");
    let label = &df.instructions[1];
    // "LABEL é=1 ünknown" is 17 characters (19 bytes).
    assert_eq!(label.span.end_col, 18);
    assert_eq!(label.span.end - label.span.start, 19);
    // `ünknown` has no `=`: the error points at the instruction.
    let e = one_error(&df);
    assert!(
        e.message.contains("can't find = in \"ünknown\""),
        "{}",
        e.message
    );
    assert_eq!((e.span.line, e.span.col), (2, 1));
}

#[test]
fn crlf_and_lf_give_the_same_tree() {
    let lf = "FROM alpine\nRUN echo a \\\n  b\nCOPY <<EOF /x\nhello\nEOF\nCMD [\"sh\"]\n";
    let crlf = lf.replace('\n', "\r\n");
    let a = parse(lf);
    let b = parse(&crlf);
    assert!(errors(&a).is_empty() && errors(&b).is_empty());
    assert_eq!(dump(&a), dump(&b));
    // Spans exclude the line ending; lines/cols are identical.
    for (x, y) in a.instructions.iter().zip(&b.instructions) {
        assert_eq!(
            (x.span.line, x.span.col, x.span.end_line, x.span.end_col),
            (y.span.line, y.span.col, y.span.end_line, y.span.end_col)
        );
        assert!(!crlf[y.span.start..y.span.end].ends_with('\r'));
    }
    // Heredoc bodies keep their raw line endings, as BuildKit stores them.
    assert_eq!(a.nodes[2].heredocs[0].content, "hello\n");
    assert_eq!(b.nodes[2].heredocs[0].content, "hello\r\n");
}

#[test]
fn bom_is_skipped() {
    let df = parse("\u{feff}# escape=`\nFROM alpine\nRUN dir c:\\ `\n  /s\n");
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    assert_eq!(df.directives.escape, '`');
    assert_eq!(dump(&df), "(from \"alpine\")\n(run \"dir c:\\\\   /s\")");
    let from = df.instructions[0].span;
    assert_eq!((from.line, from.col, from.start), (2, 1, 3 + 11));
    let df = parse("\u{feff}FROM alpine");
    assert_eq!(
        (df.instructions[0].span.line, df.instructions[0].span.col),
        (1, 1)
    );
    assert_eq!(df.nodes[0].keyword, "from");
}

#[test]
fn directives_only_at_the_top() {
    let df = parse("# syntax=docker/dockerfile:1\n# check=skip=all\n#escape=`\nFROM a\n");
    assert_eq!(df.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
    assert_eq!(df.directives.check.as_deref(), Some("skip=all"));
    assert_eq!(df.directives.escape, '`');
    // After a normal comment, an empty line, or an instruction, they are plain comments.
    for text in [
        "# hello\n# escape=`\nFROM a\n",
        "\n# escape=`\nFROM a\n",
        "FROM a\n# escape=`\n",
    ] {
        let df = parse(text);
        assert_eq!(df.directives.escape, '\\', "{text:?}");
        assert!(errors(&df).is_empty());
    }
    // Duplicates and bad values are errors with the directive's line.
    let df = parse("# escape=`\n# escape=\\\nFROM a\n");
    let e = one_error(&df);
    assert_eq!(e.message, "only one escape parser directive can be used");
    assert_eq!(e.span.line, 2);
    assert_eq!(df.directives.escape, '`');
    let df = parse("# escape=x\nFROM a\n");
    assert!(one_error(&df).message.contains("invalid escape token 'x'"));
}

#[test]
fn did_you_mean_for_unknown_instructions() {
    let df = parse("FROM alpine\n  COPPY a b\nRUNN x\nfrobnicate\n");
    let e = errors(&df);
    assert_eq!(e.len(), 3, "{:?}", df.diagnostics);
    assert_eq!(
        e[0].message,
        "unknown instruction: COPPY (did you mean COPY?)"
    );
    assert_eq!(
        (e[0].span.line, e[0].span.col, e[0].span.end_col),
        (2, 3, 8)
    );
    assert_eq!(e[0].code, "unknown-instruction");
    assert_eq!(
        e[1].message,
        "unknown instruction: RUNN (did you mean RUN?)"
    );
    assert_eq!(e[2].message, "unknown instruction: frobnicate");
    assert!(matches!(
        df.instructions[1].command,
        Command::Invalid { .. }
    ));
    assert_eq!(df.instructions[1].keyword, "COPPY");
    // Lower case input gets a lower case suggestion.
    let df = parse("FROM a\ncopyy a b\n");
    assert!(one_error(&df).message.ends_with("(did you mean copy?)"));
}

#[test]
fn parsing_continues_after_errors() {
    let text = "FROM alpine AS base\nRUN --bogus=1 make\nENV\nCOPY onlyone\nFROM base AS 1bad\nRUN echo ok\n";
    let df = parse(text);
    let e = errors(&df);
    let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert_eq!(msgs[0], "unknown flag: --bogus");
    assert_eq!(msgs[1], "ENV requires at least one argument");
    assert!(msgs[2].starts_with("COPY requires at least two arguments"));
    assert_eq!(
        msgs[3],
        "invalid name for build stage: \"1bad\", name can't start with a number or contain symbols"
    );
    // The stage-name error points at the name.
    assert_eq!(
        (e[3].span.line, e[3].span.col, e[3].span.end_col),
        (5, 14, 18)
    );
    // The unknown flag error points at the flag.
    assert_eq!((e[0].span.line, e[0].span.col), (2, 5));
    // Everything is still there, grouped into two stages.
    assert_eq!(df.instructions.len(), 6);
    assert_eq!(df.stages.len(), 2);
    assert_eq!(df.stages[0].name.as_deref(), Some("base"));
    assert_eq!(df.stages[0].commands, vec![1, 2, 3]);
    assert_eq!(df.stages[1].from, 4);
    assert_eq!(df.stages[1].commands, vec![5]);
    assert!(matches!(df.instructions[5].command, Command::Run(_)));
    assert_eq!(df.instructions[5].stage, Some(1));
}

#[test]
fn negatives() {
    for (text, want) in [
        ("", "file with no instructions"),
        (
            "# just a comment\n\n   # another\n",
            "file with no instructions",
        ),
        ("FROM a\nENV name\n", "ENV must have two arguments"),
        (
            "FROM a\nCMD [[\"nested\"]]\n",
            "arrays must be comprised of strings only",
        ),
        ("FROM a\nLABEL a=b c\n", "can't find = in \"c\""),
        (
            "FROM a\nSHELL /bin/sh -c\n",
            "SHELL requires the arguments to be in JSON form",
        ),
        ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"),
        ("FROM a b\n", "FROM requires either one or three arguments"),
        ("FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD"),
        (
            "FROM a\nONBUILD FROM b\n",
            "FROM isn't allowed as an ONBUILD trigger",
        ),
        (
            "FROM a\nHEALTHCHECK NONE x\n",
            "HEALTHCHECK NONE takes no arguments",
        ),
        (
            "FROM a\nHEALTHCHECK CMD\n",
            "Missing command after HEALTHCHECK CMD",
        ),
        (
            "FROM a\nHEALTHCHECK CONNECT x\n",
            "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)",
        ),
        (
            "FROM a\nHEALTHCHECK --interval=5 CMD x\n",
            "time: missing unit in duration \"5\"",
        ),
        (
            "FROM a\nHEALTHCHECK --timeout=10us CMD x\n",
            "Interval \"timeout\" cannot be less than 1ms",
        ),
        (
            "FROM a\nHEALTHCHECK --retries=-1 CMD x\n",
            "--retries cannot be negative (-1)",
        ),
        (
            "FROM a\nVOLUME [\"\"]\n",
            "VOLUME specified can not be an empty string",
        ),
        ("FROM a\nARG =x\n", "ARG names can not be blank"),
        ("RUN x\nFROM a\n", "no build stage in current context"),
        ("ARG X=1\n", "dockerfile contains no stages to build"),
        ("FROM a\nRUN <<EOF\necho\n", "unterminated heredoc"),
        (
            "FROM a\nCOPY /foo <<EOF\nEOF\n",
            "COPY cannot accept a heredoc as a destination",
        ),
    ] {
        let df = parse(text);
        let e = errors(&df);
        assert!(
            e.iter().any(|d| d.message.contains(want)),
            "{text:?}: want {want:?}, got {:?}",
            df.diagnostics
        );
        for d in &e {
            assert!(d.span.line >= 1 && d.span.col >= 1);
        }
    }
}

#[test]
fn input_size_limit() {
    let big = "#".repeat(MAX_INPUT_BYTES + 1);
    let df = parse(&big);
    let e = one_error(&df);
    assert_eq!(e.code, "input-too-large");
    assert!(e.message.contains("1 MiB"));
    assert!(df.nodes.is_empty());
}

#[test]
fn flags_follow_bflags_rules() {
    let df = parse(
        "FROM --platform=$BUILDPLATFORM golang AS build\n\
         COPY --from=build --chown=1:1 --chmod=755 --link --parents --exclude=*.md --exclude=x a b /dst/\n\
         ADD --checksum=sha256:abc --keep-git-dir=false --unpack=true https://x/y.tgz /\n",
    );
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    let Command::From(f) = &df.instructions[0].command else {
        panic!()
    };
    assert_eq!(f.platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(f.name.as_deref(), Some("build"));
    let Command::Copy(c) = &df.instructions[1].command else {
        panic!()
    };
    assert_eq!(c.from.as_deref(), Some("build"));
    assert_eq!(c.chown.as_deref(), Some("1:1"));
    assert_eq!(c.chmod.as_deref(), Some("755"));
    assert!(c.link && c.parents && !c.is_add);
    assert_eq!(c.exclude, vec!["*.md", "x"]);
    assert_eq!(c.sources, vec!["a", "b"]);
    assert_eq!(c.dest, "/dst/");
    let Command::Copy(a) = &df.instructions[2].command else {
        panic!()
    };
    assert!(a.is_add);
    assert_eq!(a.checksum.as_deref(), Some("sha256:abc"));
    assert_eq!(a.keep_git_dir, Some(false));
    assert_eq!(a.unpack, Some(true));
    assert_eq!(df.instructions[1].flags.len(), 7);
    assert_eq!(df.instructions[1].flags[3].name, "link");
    assert_eq!(df.instructions[1].flags[3].value, None);

    for (line, want) in [
        (
            "COPY --form=x a b",
            "unknown flag: --form (did you mean from?)",
        ),
        (
            "COPY --from=a --from=b a b",
            "duplicate flag specified: --from",
        ),
        ("COPY --from a b", "missing a value on flag: --from"),
        (
            "COPY --link=maybe a b",
            "expecting boolean value for flag --link, not: maybe",
        ),
        ("COPY --link= a b", "missing a value on flag: --link"),
        ("ADD --from=x a b", "unknown flag: --from"),
        ("RUN --network=bridge x", "invalid network mode \"bridge\""),
        ("RUN --security=bad x", "security \"bad\" is not valid"),
        ("WORKDIR --x=1 /a", "unknown flag: --x"),
    ] {
        let df = parse(&format!("FROM a\n{line}\n"));
        let e = one_error(&df);
        assert_eq!(e.message, want, "{line}");
        assert!(matches!(
            df.instructions[1].command,
            Command::Invalid { .. }
        ));
    }
    // BuildKit ignores flags on ARG and STOPSIGNAL, and on HEALTHCHECK NONE.
    let df = parse("FROM a\nARG --x=1 A\nSTOPSIGNAL --y SIGTERM\nHEALTHCHECK --z NONE\n");
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
}

#[test]
fn run_mounts() {
    let df = parse(
        "FROM a\nRUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0755,uid=1000 \\\n    --mount=type=secret,id=npmrc,env=NPMRC,required \\\n    --mount=from=build,source=/out,dst=/in,rw \\\n    --mount=type=tmpfs,target=/tmp,size=64m \\\n    --network=none --security=insecure pip install .\n",
    );
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    let Command::Run(r) = &df.instructions[1].command else {
        panic!("{:?}", df.instructions[1].command)
    };
    assert_eq!(r.mounts.len(), 4);
    let c = &r.mounts[0];
    assert_eq!(c.kind, "cache");
    assert_eq!(c.target.as_deref(), Some("/root/.cache"));
    assert_eq!(c.id.as_deref(), Some("pip"));
    assert_eq!(c.sharing.as_deref(), Some("locked"));
    assert_eq!(c.mode.as_deref(), Some("0755"));
    assert_eq!(c.uid.as_deref(), Some("1000"));
    assert!(c.readwrite, "cache mounts are read-write by default");
    let s = &r.mounts[1];
    assert_eq!(
        (s.kind.as_str(), s.env.as_deref()),
        ("secret", Some("NPMRC"))
    );
    assert_eq!(s.required, Some(true));
    assert!(!s.readwrite);
    let b = &r.mounts[2];
    assert_eq!(b.kind, "bind");
    assert_eq!(b.from.as_deref(), Some("build"));
    assert_eq!(b.source.as_deref(), Some("/out"));
    assert_eq!(b.target.as_deref(), Some("/in"));
    assert!(b.readwrite);
    assert_eq!(b.raw, "from=build,source=/out,dst=/in,rw");
    assert_eq!(r.mounts[3].size.as_deref(), Some("64m"));
    assert_eq!(r.network.as_deref(), Some("none"));
    assert_eq!(r.security.as_deref(), Some("insecure"));
    assert_eq!(r.command, CommandLine::Shell("pip install .".into()));

    for (m, want) in [
        (
            "type=cahce,target=/x",
            "unsupported mount type \"cahce\" (did you mean cache?)",
        ),
        (
            "type=cache,targt=/x",
            "unexpected key 'targt' in 'targt=/x' (did you mean target?)",
        ),
        (
            "type=bind,target=/x,uid=1",
            "uid not allowed for \"bind\" type mounts",
        ),
        (
            "type=cache,target=/x,sharing=lockd",
            "unsupported sharing value \"lockd\" (did you mean locked?)",
        ),
        (
            "type=secret",
            "invalid secret mount. one of source, target required",
        ),
        (
            "type=cache,size=1g",
            "unexpected key 'size' for mount type 'cache'",
        ),
        (
            "from=$STAGE,target=/x",
            "'from' doesn't support variable expansion, define alias stage instead",
        ),
        (
            "target=/x,bogus",
            "invalid field 'bogus' must be a key=value pair",
        ),
        (
            "type=cache,target=/x,mode=999",
            "invalid value 999 for mode",
        ),
    ] {
        let df = parse(&format!("FROM a\nRUN --mount={m} true\n"));
        let e = one_error(&df);
        assert_eq!(e.message, want, "{m}");
        assert_eq!(e.code, "invalid-mount");
        assert_eq!((e.span.line, e.span.col), (2, 5), "{m}");
    }
    // Unexpanded values are accepted as written.
    let df = parse("FROM a\nRUN --mount=type=cache,target=$HOME/.cache,uid=$UID make\n");
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
}

#[test]
fn heredocs() {
    let text = "FROM a\nRUN <<EOF bash\nset -e\necho hi\nEOF\nCOPY --chmod=755 <<-'SCRIPT' 3<<B /usr/bin/\n\techo $X\n\tSCRIPT\nbody\nB\nRUN [\"<<EOF\"]\nONBUILD RUN <<X\nx\nX\nUSER <<NOPE\n";
    let df = parse(text);
    let e: Vec<_> = errors(&df).iter().map(|d| d.message.clone()).collect();
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(df.instructions.len(), 6);
    let run = &df.nodes[1];
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].content, "set -e\necho hi\n");
    assert_eq!(run.args, vec!["<<EOF bash"]);
    // The node spans the body and the terminator; the heredoc span covers body + terminator.
    let s = run.span;
    assert_eq!((s.line, s.end_line, s.end_col), (2, 5, 4));
    assert_eq!(
        &text[s.start..s.end],
        "RUN <<EOF bash\nset -e\necho hi\nEOF"
    );
    let hs = run.heredocs[0].span;
    assert_eq!((hs.line, hs.end_line), (3, 5));
    assert_eq!(df.instructions[1].text, "RUN <<EOF bash");
    let Command::Run(r) = &df.instructions[1].command else {
        panic!()
    };
    assert_eq!(r.command, CommandLine::Shell("<<EOF bash".into()));
    assert_eq!(r.heredocs[0].name, "EOF");

    let Command::Copy(c) = &df.instructions[2].command else {
        panic!("{:?}", df.instructions[2].command)
    };
    assert_eq!(c.dest, "/usr/bin/");
    assert!(c.sources.is_empty());
    assert_eq!(c.heredocs.len(), 2);
    assert_eq!(c.heredocs[0].name, "SCRIPT");
    assert!(!c.heredocs[0].expand && c.heredocs[0].chomp);
    assert_eq!(
        layerlab_engine::parser::copy_source_data(&c.heredocs[0]),
        "echo $X\n"
    );
    assert_eq!(c.heredocs[1].file_descriptor, 3);
    assert_eq!(c.heredocs[1].content, "body\n");

    // JSON form never has heredocs.
    assert!(df.nodes[3].heredocs.is_empty());
    assert_eq!(dump(&df).lines().nth(3), Some("(run \"<<EOF\")"));
    // ONBUILD RUN heredoc: attached to the ONBUILD node, given to the trigger.
    assert_eq!(df.nodes[4].heredocs[0].content, "x\n");
    let Command::Onbuild { trigger } = &df.instructions[4].command else {
        panic!()
    };
    let Command::Run(tr) = &trigger.command else {
        panic!()
    };
    assert_eq!(tr.heredocs[0].content, "x\n");
    assert_eq!(trigger.keyword, "RUN");
    assert_eq!(trigger.stage, Some(0));
    // USER is not a heredoc instruction.
    assert_eq!(df.nodes[5].args, vec!["<<NOPE"]);
}

#[test]
fn onbuild_trigger_problems_are_warnings() {
    // BuildKit only checks a trigger when a child image builds.
    let df = parse("FROM a\nONBUILD COPPY . /app\nONBUILD RUN --bad=1 x\n");
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    let warnings: Vec<_> = df
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    assert_eq!(warnings.len(), 2);
    assert!(warnings[0].message.contains("unknown instruction: COPPY"));
    assert_eq!((warnings[0].span.line, warnings[0].span.col), (2, 9));
    assert_eq!(
        dump(&df),
        "(from \"a\")\n(onbuild (coppy))\n(onbuild (run [\"--bad=1\"] \"x\"))"
    );
}

#[test]
fn stages_and_meta_args() {
    let df = parse("ARG BASE=alpine\nARG A B=2\nFROM $BASE AS One\nARG A\nRUN x\nFROM one\nCOPY --from=One /a /b\n");
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    assert_eq!(df.meta_args, vec![0, 1]);
    let Command::Arg { args } = &df.instructions[1].command else {
        panic!()
    };
    assert_eq!(args.len(), 2);
    assert_eq!(
        (args[0].name.as_str(), args[0].default.as_deref()),
        ("A", None)
    );
    assert_eq!(
        (args[1].name.as_str(), args[1].default.as_deref()),
        ("B", Some("2"))
    );
    assert_eq!(df.instructions[0].stage, None);
    assert_eq!(df.stages.len(), 2);
    assert_eq!(
        df.stages[0].name.as_deref(),
        Some("one"),
        "stage names are lower-cased"
    );
    assert_eq!(df.stages[0].commands, vec![3, 4]);
    assert_eq!(df.instructions[3].stage, Some(0));
    assert_eq!(df.stages[1].commands, vec![6]);
    let Command::Copy(c) = &df.instructions[6].command else {
        panic!()
    };
    assert_eq!(c.from.as_deref(), Some("One"), "COPY --from is kept raw");
}

#[test]
fn duplicate_stage_names_warn() {
    let df = parse("FROM a AS x\nFROM b AS X\n");
    assert!(errors(&df).is_empty());
    let w: Vec<_> = df.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        w,
        ["Duplicate stage name \"x\", stage names should be unique"]
    );
    assert_eq!(df.diagnostics[0].span.line, 2);
}

#[test]
fn every_instruction_typed() {
    let df = parse(
        "FROM a\nMAINTAINER me <me@x>\nENV A=1 B=\"two words\"\nENV LEGACY some value\nLABEL k=v\nLABEL legacy v w\nWORKDIR /app\nUSER 1000:1000\nSHELL [\"/bin/bash\", \"-c\"]\nCMD [\"a\",\"b\"]\nENTRYPOINT exec me\nEXPOSE 8080/tcp 443\nVOLUME [\"/data\", \"/x\"]\nVOLUME /y /z\nHEALTHCHECK --interval=30s --retries=3 CMD curl -f http://x/ || exit 1\nHEALTHCHECK NONE\nSTOPSIGNAL SIGKILL\nonbuild run make\n",
    );
    assert!(errors(&df).is_empty(), "{:?}", df.diagnostics);
    let kinds: Vec<&str> = df.instructions.iter().map(|i| &*i.keyword).collect();
    assert_eq!(
        kinds,
        vec![
            "FROM",
            "MAINTAINER",
            "ENV",
            "ENV",
            "LABEL",
            "LABEL",
            "WORKDIR",
            "USER",
            "SHELL",
            "CMD",
            "ENTRYPOINT",
            "EXPOSE",
            "VOLUME",
            "VOLUME",
            "HEALTHCHECK",
            "HEALTHCHECK",
            "STOPSIGNAL",
            "ONBUILD"
        ]
    );
    let c = |i: usize| &df.instructions[i].command;
    assert!(matches!(c(1), Command::Maintainer { name } if name == "me <me@x>"));
    let Command::Env { pairs } = c(2) else {
        panic!()
    };
    assert_eq!(pairs[1].value, "\"two words\"", "values stay raw");
    let Command::Env { pairs } = c(3) else {
        panic!()
    };
    assert_eq!(
        (pairs[0].key.as_str(), pairs[0].value.as_str()),
        ("LEGACY", "some value")
    );
    let Command::Label { pairs } = c(5) else {
        panic!()
    };
    assert_eq!(pairs[0].value, "v w");
    assert!(matches!(c(6), Command::Workdir { path } if path == "/app"));
    assert!(matches!(c(7), Command::User { user } if user == "1000:1000"));
    assert!(matches!(c(8), Command::Shell { argv } if argv == &["/bin/bash", "-c"]));
    assert!(matches!(c(9), Command::Cmd { command: CommandLine::Exec(v) } if v == &["a", "b"]));
    assert!(
        matches!(c(10), Command::Entrypoint { command: CommandLine::Shell(s) } if s == "exec me")
    );
    assert!(matches!(c(11), Command::Expose { ports } if ports == &["443", "8080/tcp"]));
    assert!(matches!(c(12), Command::Volume { paths } if paths == &["/data", "/x"]));
    assert!(matches!(c(13), Command::Volume { paths } if paths == &["/y", "/z"]));
    let Command::Healthcheck(h) = c(14) else {
        panic!()
    };
    assert_eq!(
        h.command,
        Some(CommandLine::Shell("curl -f http://x/ || exit 1".into()))
    );
    assert_eq!(h.flags.len(), 2);
    let Command::Healthcheck(h) = c(15) else {
        panic!()
    };
    assert_eq!(h.command, None);
    assert!(matches!(c(16), Command::Stopsignal { signal } if signal == "SIGKILL"));
    let Command::Onbuild { trigger } = c(17) else {
        panic!()
    };
    assert_eq!(trigger.keyword, "RUN");
    assert_eq!(trigger.text, "run make");
    assert_eq!(df.nodes[17].keyword, "onbuild");
    assert_eq!(df.nodes[17].inner.as_ref().unwrap().keyword, "run");
}

#[test]
fn json_fallback_and_escapes() {
    let df = parse("FROM a\nCMD ['single']\nCMD [\"unterminated\"\nRUN [\"a\", \"b\\u00e9\"]\n");
    assert!(errors(&df).is_empty());
    assert_eq!(df.nodes[1].args, vec!["['single']"]);
    assert!(!df.nodes[1].json);
    assert!(!df.nodes[2].json);
    assert!(df.nodes[3].json);
    assert_eq!(df.nodes[3].args, vec!["a", "bé"]);
}

#[test]
fn hostile_inputs_do_not_crash() {
    // Deep ${...} nesting inside a heredoc line, deep ONBUILD chains, long lines, lone
    // continuation characters, unterminated everything.
    let inputs = [
        format!("FROM a\nRUN <<EOF {}\nEOF\n", "${a:-".repeat(50_000)),
        format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(20_000)),
        format!("FROM a\nRUN {}\n", "x".repeat(500_000)),
        "\\\n".repeat(100_000),
        format!("FROM a\nRUN a \\\n{}", "# c\n\n".repeat(50_000)),
        format!("FROM a\nCOPY {} /\n", "<<A ".repeat(20_000)),
        "FROM a\nRUN \"unterminated <<EOF\n".to_string(),
        format!("FROM a\nCMD {}\n", "[".repeat(100_000)),
        "\u{feff}".to_string(),
        "\r\r\r\n\r".to_string(),
    ];
    for text in &inputs {
        let df = parse(text);
        assert_eq!(df.nodes.len(), df.instructions.len());
        for d in &df.diagnostics {
            assert!(d.span.end <= text.len() && d.span.start <= d.span.end);
        }
        let _ = dump(&df);
    }
}

/// Deterministic random token soup: no panic, spans on char boundaries inside the text,
/// one instruction per node, and a dump for every result.
#[test]
fn random_token_soup_keeps_invariants() {
    const TOKENS: &[&str] = &[
        "FROM ",
        "RUN ",
        "COPY ",
        "ADD ",
        "ONBUILD ",
        "ENV ",
        "ARG ",
        "LABEL ",
        "HEALTHCHECK ",
        "CMD ",
        "SHELL ",
        "USER ",
        "EXPOSE ",
        "VOLUME ",
        "WORKDIR ",
        "STOPSIGNAL ",
        "MAINTAINER ",
        "FOO ",
        "AS ",
        "a",
        "b=c",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\\",
        "`",
        "\\\n",
        "#",
        "# escape=`\n",
        "# syntax=x\n",
        "<<",
        "<<-",
        "EOF",
        "'",
        "\"",
        "$",
        "${",
        "}",
        ":-",
        "[",
        "]",
        ",",
        "\"x\"",
        "--",
        "--from=",
        "--mount=",
        "type=cache,target=/x",
        "--link",
        "--chown=1",
        "=",
        "é",
        "♥",
        "\u{a0}",
        "\u{feff}",
        "\u{0}",
        "3<<",
        "NONE",
        "CMD",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..6_000 {
        let n = (next() % 40) as usize;
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(TOKENS[(next() % TOKENS.len() as u64) as usize]);
        }
        let df = parse(&text);
        assert_eq!(df.nodes.len(), df.instructions.len(), "{text:?}");
        let spans = df
            .nodes
            .iter()
            .map(|n| n.span)
            .chain(df.instructions.iter().map(|i| i.span))
            .chain(df.diagnostics.iter().map(|d| d.span))
            .chain(
                df.nodes
                    .iter()
                    .flat_map(|n| n.heredocs.iter().map(|h| h.span)),
            );
        for s in spans {
            assert!(s.start <= s.end && s.end <= text.len(), "{text:?} {s:?}");
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{text:?} {s:?}"
            );
            assert!(
                s.line >= 1 && s.col >= 1 && s.end_line >= s.line,
                "{text:?} {s:?}"
            );
        }
        for st in &df.stages {
            assert_eq!(df.nodes[st.from].keyword, "from");
            for &c in &st.commands {
                assert_eq!(df.instructions[c].stage, Some(st.index));
            }
        }
        let _ = dump(&df);
    }
}
