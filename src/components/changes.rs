//! The changes panel: what differs in build B (context files, build args, secrets, base image
//! digests, target, .dockerignore, the Dockerfile) and where B's cache comes from. Every
//! control edits the [`Scenario`] directly.

use super::{
    event_value, field_select, fixed, on_check, on_value, option, thead, with_class, Store,
};
use crate::analysis::{
    base_images, context_suggestions, covered_by, declared_args, secret_ids, stage_names,
};
use crate::model::{
    arg_b, file_change, next_run_value, set_arg_b, set_file_change, Action, AppState, ArgB,
    CacheChoice, EditorTab, FileChange,
};
use layerlab_engine::scenario::{BuilderSetup, CacheSource, FileSpec};
use layerlab_engine::Scenario;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// `<label class="check"><input type="checkbox"/><span>{label}</span></label>`: one copy of
/// the element code for every checkbox of the panel.
fn check(checked: bool, onchange: Callback<Event>, label: Html) -> Html {
    html! {
        <label class="check"><input type="checkbox" {checked} {onchange} /><span>{ label }</span></label>
    }
}

/// `<input type="text">` of a table row (`label`: its accessible name).
fn text_input(
    label: String,
    placeholder: Option<AttrValue>,
    value: String,
    oninput: Callback<InputEvent>,
) -> Html {
    html! { <input type="text" aria-label={label} {placeholder} {value} {oninput} /> }
}

/// A three-row plain-text area (file contents, .dockerignore).
fn text_area(label: Option<&'static str>, value: String, oninput: Callback<InputEvent>) -> Html {
    html! { <textarea rows="3" spellcheck="false" aria-label={label} {value} {oninput} /> }
}

fn set_content(spec: &mut FileSpec, text: String) {
    match spec {
        FileSpec::Content(c) => *c = text,
        FileSpec::Full { content, .. } => *content = text,
    }
}

fn files_section(store: &Store) -> Html {
    let s = &store.scenario;
    let an = &store.analysis;
    let suggestions = context_suggestions(an.df_a());
    let paths = sorted_union(s.context.keys(), s.change.files.keys());
    let missing: Vec<String> = suggestions
        .into_iter()
        .filter(|p| !paths.iter().any(|c| covered_by(c, p)))
        .collect();

    let dispatcher = store.dispatcher();
    let rows: Html = paths
        .iter()
        .map(|&path| {
            html! {
                <FileRow key={path.clone()} path={path.clone()}
                    in_a={s.context.contains_key(path)} cur={file_change(s, path)}
                    a_text={s.context.get(path).map(|f| f.content().to_string())}
                    b_text={s.change.files.get(path).map(|f| f.content().to_string())}
                    dispatcher={dispatcher.clone()} />
            }
        })
        .collect();

    let suggested: Html = missing
        .iter()
        .map(|p| {
            let path = p.clone();
            let add = {
                let store = store.clone();
                Callback::from(move |_: MouseEvent| {
                    let path = path.clone();
                    store.dispatch(Action::edit(move |s| {
                        s.context
                            .entry(path.clone())
                            .or_insert_with(|| FileSpec::Content(format!("contents of {path}\n")));
                    }))
                })
            };
            html! {
                <li class="file suggested">
                    <code class="path">{ p }</code>
                    <button type="button" onclick={add} aria-label={format!("add {p} to the build context")}>{ "+ add to context" }</button>
                </li>
            }
        })
        .collect();

    html! {
        <fieldset class="group">
            { fixed(r#"<legend>Context files</legend>"#) }
            <ul class="files plain">{ rows }{ suggested }</ul>
            { add_file(store) }
        </fieldset>
    }
}

#[derive(Properties, PartialEq)]
struct FileRowProps {
    path: String,
    in_a: bool,
    cur: FileChange,
    a_text: Option<String>,
    b_text: Option<String>,
    dispatcher: UseReducerDispatcher<AppState>,
}

/// A callback that edits the scenario for the file at `path` with the event's value.
fn path_edit<E: AsRef<web_sys::Event> + 'static>(
    d: &UseReducerDispatcher<AppState>,
    path: &str,
    f: fn(&mut Scenario, &str, String),
) -> Callback<E> {
    let d = d.clone();
    let path = path.to_string();
    Callback::from(move |e: E| {
        let v = event_value(e.as_ref());
        let path = path.clone();
        d.dispatch(Action::edit(move |s| f(s, &path, v.clone())));
    })
}

/// One context file of the panel; a component so that the rows of a large context (their
/// selects, text areas and callbacks) are not rebuilt when an edit leaves them unchanged.
#[function_component]
fn FileRow(p: &FileRowProps) -> Html {
    let path = &p.path;
    let d = &p.dispatcher;
    let onchange = path_edit::<Event>(d, path, |s, p, v| {
        if let Some(c) = FileChange::from_id(&v) {
            set_file_change(s, p, c);
        }
    });
    let edit_a = path_edit::<InputEvent>(d, path, |s, p, v| {
        if let Some(f) = s.context.get_mut(p) {
            set_content(f, v);
        }
    });
    let edit_b = path_edit::<InputEvent>(d, path, |s, p, v| {
        if let Some(f) = s.change.files.get_mut(p) {
            set_content(f, v);
        }
    });
    let remove = {
        let d = d.clone();
        let path = path.clone();
        Callback::from(move |_: MouseEvent| {
            let path = path.clone();
            d.dispatch(Action::edit(move |s| {
                set_file_change(s, &path, FileChange::Unchanged);
                s.context.remove(&path);
            }))
        })
    };
    let options: Html = if p.in_a {
        FileChange::FOR_EXISTING
            .iter()
            .map(|c| option(c.id(), *c == p.cur, c.label()))
            .collect()
    } else {
        html! {
            <>
                { option("added", true, "added in B") }
                { option("unchanged", false, "drop this file") }
            </>
        }
    };
    let li = html! {
        <li>
            <div class="file-row">
                <code class="path" title={path.clone()}>{ path }</code>
                <select aria-label={format!("{path} in build B")} {onchange}>{ options }</select>
                if p.in_a {
                    <button type="button" class="icon" aria-label={format!("remove {path} from the context")} title="remove from the context" onclick={remove}>{ "×" }</button>
                }
            </div>
            <details class="file-content">
                { fixed(r#"<summary>content</summary>"#) }
                if let Some(a) = &p.a_text {
                    <label class="stack">{ "in A" }{ text_area(None, a.clone(), edit_a) }</label>
                }
                if let Some(b) = &p.b_text {
                    <label class="stack">{ "in B" }{ text_area(None, b.clone(), edit_b) }</label>
                }
            </details>
        </li>
    };
    with_class(li, format!("file fc-{}", p.cur.id()))
}

/// The row adding a context file. Its input is the browser's own: the buttons read and clear
/// it, so the row needs no state (nor a component) of its own.
fn add_file(store: &Store) -> Html {
    let add = |added_in_b: bool| {
        let store = store.clone();
        Callback::from(move |e: MouseEvent| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|b| b.parent_element())
                .and_then(|row| row.query_selector("input").ok().flatten())
                .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let p = input.value().trim().trim_start_matches("./").to_string();
            if p.is_empty() {
                return;
            }
            input.set_value("");
            store.dispatch(Action::edit(move |s| {
                if added_in_b {
                    set_file_change(s, &p, FileChange::Added);
                } else {
                    s.context
                        .entry(p.clone())
                        .or_insert_with(|| FileSpec::Content(format!("contents of {p}\n")));
                }
            }))
        })
    };
    html! {
        <div class="add-file">
            <input type="text" placeholder="path/in/context" aria-label="new context file path" />
            <button type="button" onclick={add(false)}>{ "Add to A" }</button>
            <button type="button" onclick={add(true)}>{ "Added in B" }</button>
        </div>
    }
}

fn args_section(store: &Store) -> Html {
    let s = &store.scenario;
    let declared = declared_args(&store.analysis.df_b);
    let mut names: Vec<(String, Option<String>)> = declared;
    for k in s.args.keys().chain(s.change.args.keys()) {
        if !names.iter().any(|(n, _)| n == k) {
            names.push((k.clone(), None));
        }
    }
    if names.is_empty() {
        return html! {
            { fixed(r#"<fieldset class="group"><legend>Build args</legend><p class="muted">The Dockerfile declares no ARG.</p></fieldset>"#) }
        };
    }
    let rows: Html = names
        .iter()
        .map(|(name, default)| {
            let a = s.args.get(name).cloned();
            let b = arg_b(s, name);
            let n = name.clone();
            let set_a = on_value(store, move |s, v| {
                if v.is_empty() {
                    s.args.remove(&n);
                } else {
                    s.args.insert(n.clone(), v);
                }
            });
            let n = name.clone();
            let set_b = on_value(store, move |s, v| {
                set_arg_b(s, &n, if v.is_empty() { ArgB::Same } else { ArgB::Value(v) });
            });
            let n = name.clone();
            let dflt = default.clone();
            let every_run = on_check(store, move |s, on| {
                let a = s.args.get(&n).cloned().or_else(|| dflt.clone());
                set_arg_b(
                    s,
                    &n,
                    if on { ArgB::Value(next_run_value(a.as_deref())) } else { ArgB::Same },
                );
            });
            let changes = !matches!(b, ArgB::Same);
            let placeholder_a = default.clone().map(|d| format!("default: {d}")).unwrap_or_else(|| "(not set)".into());
            let row = html! {
                <tr>
                    <th scope="row"><code>{ name }</code></th>
                    <td data-label="A">{ text_input(format!("{name} in build A"), Some(placeholder_a.into()),
                               a.unwrap_or_default(), set_a) }</td>
                    <td data-label="B">{ text_input(format!("{name} in build B"),
                               Some(if b == ArgB::Unset { "(unset)" } else { "same as A" }.into()),
                               match &b { ArgB::Value(v) => v.clone(), _ => String::new() }, set_b) }</td>
                    <td>{ check(changes, every_run, html! { "changes every run" }) }</td>
                </tr>
            };
            if changes { with_class(row, "changed") } else { row }
        })
        .collect();
    html! {
        <fieldset class="group">
            { fixed(r#"<legend>Build args</legend>"#) }
            <table class="kv">
                { thead(&["ARG", "A", "B"], html! { <th scope="col">{ fixed(r#"<span class="sr-only">shortcut</span>"#) }</th> }) }
                <tbody>{ rows }</tbody>
            </table>
        </fieldset>
    }
}

fn secrets_section(store: &Store) -> Html {
    let s = &store.scenario;
    let mut ids = secret_ids(&store.analysis.df_b);
    for k in s.secrets.keys().chain(s.change.secrets.keys()) {
        if !ids.contains(k) {
            ids.push(k.clone());
        }
    }
    if ids.is_empty() {
        return Html::default();
    }
    let rows: Html = ids
        .iter()
        .map(|id| {
            let i = id.clone();
            let set_a = on_value(store, move |s, v| {
                s.secrets.insert(i.clone(), v);
            });
            let i = id.clone();
            let toggle = on_check(store, move |s, on| {
                if on {
                    let a = s.secrets.get(&i).cloned().unwrap_or_default();
                    s.change
                        .secrets
                        .insert(i.clone(), Some(format!("{a}-rotated")));
                } else {
                    s.change.secrets.remove(&i);
                }
            });
            let changed = s.change.secrets.contains_key(id);
            let row = html! {
                <tr>
                    <th scope="row"><code>{ id }</code></th>
                    <td>{ text_input(format!("secret {id} in build A"), None,
                               s.secrets.get(id).cloned().unwrap_or_default(), set_a) }</td>
                    <td>{ check(changed, toggle, html! { "value changes in B" }) }</td>
                </tr>
            };
            if changed {
                with_class(row, "changed")
            } else {
                row
            }
        })
        .collect();
    html! {
        <fieldset class="group">
            { fixed(r#"<legend>Secrets</legend>"#) }
            <table class="kv"><tbody>{ rows }</tbody></table>
        </fieldset>
    }
}

fn base_section(store: &Store) -> Html {
    let s = &store.scenario;
    let images = base_images(&store.analysis.df_b);
    if images.is_empty() {
        return Html::default();
    }
    let rows: Html = images
        .iter()
        .map(|img| {
            let i = img.clone();
            let toggle = on_check(store, move |s, on| {
                s.change.base_rebuilt.retain(|x| x != &i);
                if on {
                    s.change.base_rebuilt.push(i.clone());
                }
            });
            html! {
                <li>{ check(s.change.base_rebuilt.contains(img), toggle,
                    html! { <><code>{ img }</code>{ " has a new digest (same tag, rebuilt upstream)" }</> }) }</li>
            }
        })
        .collect();
    html! {
        <fieldset class="group">
            { fixed(r#"<legend>Base images</legend>"#) }
            <ul class="plain">{ rows }</ul>
        </fieldset>
    }
}

fn target_section(store: &Store) -> Html {
    let s = &store.scenario;
    let names = stage_names(&store.analysis.df_b);
    if names.is_empty() {
        return Html::default();
    }
    let opts = |cur: Option<&String>, none_label: &str| -> Html {
        let mut out = vec![option("", cur.is_none(), none_label)];
        out.extend(names.iter().map(|n| option(n, cur == Some(n), n)));
        out.into_iter().collect()
    };
    let set_a = on_value(store, |s, v| s.target = (!v.is_empty()).then_some(v));
    let set_b = on_value(store, |s, v| s.change.target = (!v.is_empty()).then_some(v));
    html! {
        <fieldset class="group">
            { fixed(r#"<legend>Target (--target)</legend>"#) }
            { field_select("A builds ", set_a, opts(s.target.as_ref(), "the last stage")) }
            { field_select("B builds ", set_b, opts(s.change.target.as_ref(), "same as A")) }
        </fieldset>
    }
}

fn dockerignore_section(store: &Store) -> Html {
    let s = &store.scenario;
    let has_a = on_check(store, |s, on| {
        s.dockerignore = if on {
            Some(s.dockerignore.clone().unwrap_or_else(|| ".git\n".into()))
        } else {
            None
        };
    });
    let edit_a = on_value(store, |s, v| s.dockerignore = Some(v));
    let has_b = on_check(store, |s, on| {
        s.change.dockerignore = if on {
            Some(s.dockerignore.clone().unwrap_or_default() + "# changed in B\n")
        } else {
            None
        };
    });
    let edit_b = on_value(store, |s, v| s.change.dockerignore = Some(v));
    html! {
        <fieldset class="group">
            { fixed(r#"<legend>.dockerignore</legend>"#) }
            { check(s.dockerignore.is_some(), has_a, html! { "A has a .dockerignore" }) }
            if let Some(a) = &s.dockerignore {
                { with_class(text_area(Some(".dockerignore of build A"), a.clone(), edit_a), "mono") }
            }
            { check(s.change.dockerignore.is_some(), has_b, html! { "B changes the .dockerignore" }) }
            if let Some(b) = &s.change.dockerignore {
                { with_class(text_area(Some(".dockerignore of build B"), b.clone(), edit_b), "mono") }
            }
        </fieldset>
    }
}

fn dockerfile_section(store: &Store) -> Html {
    let s = &store.scenario;
    let toggle = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let on = super::event_checked(&e);
            store.dispatch(Action::edit(move |s| {
                s.change.dockerfile = if on { Some(s.dockerfile.clone()) } else { None };
            }));
            store.dispatch(Action::ui(move |_, tr| {
                tr.tab = if on { EditorTab::B } else { EditorTab::A }
            }));
        })
    };
    html! {
        <fieldset class="group">
            { fixed(r#"<legend>Dockerfile</legend>"#) }
            { check(s.change.dockerfile.is_some(), toggle, html! { "B edits the Dockerfile (edit it in the editor's \"Build B\" tab)" }) }
        </fieldset>
    }
}

fn cache_section(store: &Store) -> Html {
    let s = &store.scenario;
    let cur = CacheChoice::of(s);
    let radios: Html = CacheChoice::ALL
        .iter()
        .map(|c| {
            let c = *c;
            let onchange = {
                let store = store.clone();
                Callback::from(move |_: Event| store.dispatch(Action::edit(move |s| c.apply(s))))
            };
            html! {
                <label class="radio">
                    <input type="radio" name="cache-source" value={c.id()} checked={cur == c} {onchange} />
                    <span>{ c.label() }</span>
                </label>
            }
        })
        .collect();

    let export_opts = if cur == CacheChoice::Export {
        let set_mode = on_value(store, |s, v| {
            s.cache.source = if v == "max" {
                CacheSource::ExportMax
            } else {
                CacheSource::ExportMin
            };
        });
        let set_backend = on_value(store, |s, v| {
            s.cache.backend = (v != "registry").then_some(v)
        });
        let backend = s.cache.backend.clone().unwrap_or_else(|| "registry".into());
        html! {
            <div class="sub">
                { field_select("mode ", set_mode, html! { <>
                    { option("min", s.cache.source == CacheSource::ExportMin, "min (final image layers only)") }
                    { option("max", s.cache.source == CacheSource::ExportMax, "max (every stage)") }
                </> }) }
                { field_select("backend ", set_backend,
                    ["registry", "gha", "local"].iter().map(|b| option(b, backend == *b, b)).collect()) }
            </div>
        }
    } else {
        Html::default()
    };

    let inline_opt = if cur == CacheChoice::SaveLoad {
        let toggle = on_check(store, |s, on| s.cache.inline_cache = on);
        html! {
            <div class="sub">{ check(s.cache.inline_cache, toggle, html! { "A was built with inline cache metadata (BUILDKIT_INLINE_CACHE=1)" }) }</div>
        }
    } else {
        Html::default()
    };

    let stages_opt = if matches!(
        cur,
        CacheChoice::CacheFromImage | CacheChoice::InlineCache | CacheChoice::SaveLoad
    ) {
        let names = stage_names(&store.analysis.df_b);
        let last = store
            .analysis
            .df_b
            .stages
            .last()
            .and_then(|s| s.name.clone());
        let items: Html = names
            .iter()
            .filter(|n| Some(*n) != last.as_ref())
            .map(|n| {
                let name = n.clone();
                let toggle = on_check(store, move |s, on| {
                    s.cache.cache_from_stages.retain(|x| x != &name);
                    if on {
                        s.cache.cache_from_stages.push(name.clone());
                    }
                });
                check(s.cache.cache_from_stages.contains(n), toggle,
                    html! { <>{ "stage " }<code>{ n }</code>{ " was also pushed and passed as --cache-from" }</> })
            })
            .collect();
        html! { <div class="sub">{ items }</div> }
    } else {
        Html::default()
    };

    let setup = on_value(store, |s, v| {
        s.builder_setup = if v == "container" {
            BuilderSetup::Container
        } else {
            BuilderSetup::DockerDriver
        };
    });
    html! {
        <fieldset class="group cache">
            { fixed(r#"<legend>Where B's cache comes from</legend>"#) }
            { radios }
            { export_opts }
            { inline_opt }
            { stages_opt }
            { field_select("BuildKit runs ", setup, html! { <>
                { option("docker-driver", s.builder_setup == BuilderSetup::DockerDriver, "inside dockerd (docker driver, classic image store)") }
                { option("container", s.builder_setup == BuilderSetup::Container, "with the containerd image store or a docker-container builder") }
            </> }) }
        </fieldset>
    }
}

/// The panel: re-rendered only when something it shows changed, not at every edit of the
/// Dockerfile text (132 context files on the stress example).
pub fn changes_panel(store: &Store) -> Html {
    let facts = Facts::of(store);
    html! { <ChangesBody store={store.clone()} {facts} /> }
}

/// What the panel reads off the parsed Dockerfiles.
#[derive(PartialEq)]
struct Facts {
    suggestions: Vec<String>,
    args: Vec<(String, Option<String>)>,
    secrets: Vec<String>,
    images: Vec<String>,
    stages: Vec<String>,
    last_stage: Option<Option<String>>,
}

impl Facts {
    fn of(st: &AppState) -> Facts {
        let an = &st.analysis;
        Facts {
            suggestions: context_suggestions(an.df_a()),
            args: declared_args(&an.df_b),
            secrets: secret_ids(&an.df_b),
            images: base_images(&an.df_b),
            stages: stage_names(&an.df_b),
            last_stage: an.df_b.stages.last().map(|s| s.name.clone()),
        }
    }
}

#[derive(Properties)]
struct BodyProps {
    store: Store,
    /// Of `store` (computed once per render of the panel, compared with the shown one).
    facts: Facts,
}

impl PartialEq for BodyProps {
    fn eq(&self, o: &Self) -> bool {
        self.store == o.store || (self.facts == o.facts && same_scenario(&self.store, &o.store))
    }
}

/// Whether two states have the same scenario but for the Dockerfile texts. (The
/// destructuring names every field, so that a new one cannot be forgotten here.)
fn same_scenario(a: &AppState, b: &AppState) -> bool {
    if a.setup_revision == b.setup_revision {
        // Only the editor's text changed in between.
        return true;
    }
    let Scenario {
        name: _,
        description: _,
        dockerfile: _,
        context,
        dockerignore,
        args,
        secrets,
        target,
        change,
        cache,
        builder_setup,
        rerun_output: _,
        network,
        export: _,
        observed: _,
    } = &a.scenario;
    let bs = &b.scenario;
    let layerlab_engine::scenario::Change {
        files,
        removed,
        touched,
        chmod,
        args: change_args,
        secrets: change_secrets,
        base_rebuilt,
        dockerignore: change_dockerignore,
        target: change_target,
        dockerfile,
    } = change;
    let bc = &bs.change;
    *context == bs.context
        && *dockerignore == bs.dockerignore
        && *args == bs.args
        && *secrets == bs.secrets
        && *target == bs.target
        && *cache == bs.cache
        && *builder_setup == bs.builder_setup
        && *network == bs.network
        && *files == bc.files
        && *removed == bc.removed
        && *touched == bc.touched
        && *chmod == bc.chmod
        && *change_args == bc.args
        && *change_secrets == bc.secrets
        && *base_rebuilt == bc.base_rebuilt
        && *change_dockerignore == bc.dockerignore
        && *change_target == bc.target
        && dockerfile.is_some() == bc.dockerfile.is_some()
}

#[function_component]
fn ChangesBody(p: &BodyProps) -> Html {
    let store = &p.store;
    html! {
        <section class="changes" aria-label="What changes in build B">
            { fixed(r#"<h2>Build B changes…</h2>"#) }
            { cache_section(store) }
            { files_section(store) }
            { args_section(store) }
            { secrets_section(store) }
            { base_section(store) }
            { target_section(store) }
            { dockerignore_section(store) }
            { dockerfile_section(store) }
        </section>
    }
}

/// The union of two sorted key lists, sorted (A's context and B's edited or added files).
fn sorted_union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> Vec<&'a String> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut out = Vec::new();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(x), Some(y)) if x > y => b.next(),
            (Some(_), Some(_)) => {
                b.next();
                a.next()
            }
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(p) => out.push(p),
            None => return out,
        }
    }
}
