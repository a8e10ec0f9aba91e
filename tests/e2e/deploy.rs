//! The deploy files are read, not run (no container engine here): the
//! Kubernetes manifests, the compose file, the collector config and the
//! Dockerfile must match the binary's real configuration — names, ports,
//! probes, environment variables and peer addresses — and the manifests
//! must build with kustomize.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use partnership_platform::config;
use partnership_suite::{Service, SuiteConfig};

fn deploy(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy").join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(deploy(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `PARTNERSHIP__…` variables a manifest sets, with a stand-in for
/// values that come from a Secret.
fn env_vars(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut vars = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = line.strip_prefix("- name: PARTNERSHIP__") {
            let value = lines.get(i + 1).and_then(|l| l.strip_prefix("value: ")).unwrap_or("postgres://from-a-secret@db/x");
            vars.push((format!("PARTNERSHIP__{name}"), value.trim_matches('"').to_owned()));
        } else if let Some(rest) = line.strip_prefix("PARTNERSHIP__") {
            if let Some((name, value)) = rest.split_once(": ") {
                vars.push((format!("PARTNERSHIP__{name}"), value.to_owned()));
            }
        }
    }
    vars
}

/// The value of the first `key: value` line after `from` in `text`.
fn after<'a>(text: &'a str, from: &str, key: &str) -> Vec<&'a str> {
    text.split(from).skip(1).filter_map(|part| part.lines().find_map(|l| l.trim().strip_prefix(key))).map(str::trim).collect()
}

fn default_port(service: Service) -> u16 {
    service.listen(&SuiteConfig::default()).port()
}

#[test]
fn kubernetes_manifests_match_the_binary() {
    let toml = deploy("k8s/base/partnership.toml");
    let mut services: BTreeMap<String, HashSet<u16>> = BTreeMap::new();
    for service in Service::ALL {
        let name = service.name();
        let manifest = read(&format!("k8s/base/{name}.yaml"));
        // The environment and the config file load into the real configuration
        // (every table denies unknown keys, so a misspelt name fails here).
        let loaded: SuiteConfig = config::load_from(Some(&toml), env_vars(&manifest)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let port = service.listen(&loaded).port();
        assert_eq!(port, default_port(service), "{name} listens where clients expect it");
        assert!(manifest.contains(&format!("args: [\"--service\", \"{name}\"")), "{name} runs its own service");
        let mut expected_ports = vec![port.to_string()];
        if service == Service::Reporting {
            expected_ports.push(loaded.reporting.web_listen.port().to_string());
        }
        assert_eq!(after(&manifest, "containerPort:", ""), expected_ports, "{name} container ports");
        for probe in ["readinessProbe:", "livenessProbe:"] {
            assert_eq!(after(&manifest, probe, "port:"), vec![port.to_string().as_str()], "{name} {probe} asks grpc.health.v1 on the gRPC port");
            assert!(manifest.split(probe).nth(1).unwrap().trim_start().starts_with("grpc:"), "{name} {probe} is a gRPC probe");
        }
        assert!(manifest.contains("requests:") && manifest.contains("memory:"), "{name} has resource requests");
        assert!(loaded.auth.verify_key.is_some() && loaded.auth.peer_token.is_some(), "{name} verifies tokens and calls peers with its own");
        assert!(manifest.contains(&format!("key: peer-token-{name}")), "{name}'s peer token is its own, from the Secret");
        if service != Service::Reporting {
            assert!(manifest.contains(&format!("PARTNERSHIP__{}__DATABASE_URL", name.to_uppercase())) && manifest.contains("secretKeyRef"), "{name} gets its database URL from a Secret");
        }
        let ports: HashSet<u16> = manifest.split("kind: Service").nth(1).unwrap().lines().filter_map(|l| l.trim().strip_prefix("port: ")).filter_map(|p| p.parse().ok()).collect();
        assert!(ports.contains(&port), "{name}'s Service exposes {port}");
        services.insert(name.to_owned(), ports);
    }
    // Every peer URL in the config names a Service and one of its ports.
    let text = std::fs::read_to_string(&toml).unwrap();
    for line in text.lines().filter(|l| l.contains("_url = \"http://")) {
        let target = line.split("http://").nth(1).unwrap().trim_end_matches('"');
        let (host, port) = target.split_once(':').unwrap();
        let ports = services.get(host).unwrap_or_else(|| panic!("{line}: no Service {host}"));
        assert!(ports.contains(&port.parse().unwrap()), "{line}: {host} has no port {port}");
    }
}

#[test]
fn the_compose_file_matches_the_binary() {
    let compose = read("compose.yaml");
    let toml = deploy("k8s/base/partnership.toml");
    let loaded: SuiteConfig = config::load_from(Some(&toml), env_vars(&compose)).expect("the compose environment loads");
    for service in Service::ALL {
        let name = service.name();
        assert!(compose.contains(&format!("command: [\"--service\", \"{name}\"")), "compose runs {name}");
        let port = service.listen(&loaded).port();
        assert!(compose.contains(&format!("\"{port}:{port}\"")), "compose publishes {name} on {port}");
    }
    for database in ["intake", "employment", "beschut", "finance"] {
        assert!(read("postgres-init.sql").contains(&format!("CREATE DATABASE {database};")));
        assert!(compose.contains(&format!("@postgres:5432/{database}")));
    }
}

#[test]
fn the_collector_listens_where_the_services_send() {
    let loaded: SuiteConfig = config::load_from(Some(&deploy("k8s/base/partnership.toml")), Vec::new()).unwrap();
    let endpoint = loaded.telemetry.otlp_endpoint.expect("the services export traces");
    assert_eq!(endpoint, "http://otel-collector:4317");
    let collector = read("otel-collector.yaml");
    assert!(collector.contains("endpoint: 0.0.0.0:4317"));
    assert!(collector.contains("traces:") && collector.contains("receivers: [otlp]"));
    assert!(read("compose.yaml").contains("\"4317:4317\""));
}

#[test]
fn the_image_builds_the_binary_and_exposes_every_port() {
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("FROM rust:") && dockerfile.matches("FROM ").count() >= 2, "multi-stage");
    assert!(dockerfile.contains("-p partnership-suite") && dockerfile.contains("target/release/partnership"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/partnership\"]"));
    let exposed: HashSet<u16> = dockerfile.lines().filter_map(|l| l.strip_prefix("EXPOSE ")).flat_map(|l| l.split_whitespace().filter_map(|p| p.parse().ok())).collect();
    for service in Service::ALL {
        assert!(exposed.contains(&default_port(service)), "{} exposed", service.name());
    }
    assert!(exposed.contains(&8080));
    let vars: Vec<(String, String)> = dockerfile
        .split("ENV ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_end_matches('\\').to_owned()))
        .collect();
    let loaded: SuiteConfig = config::load_from(None, vars).expect("the image's environment loads");
    for service in Service::ALL {
        assert_eq!(service.listen(&loaded).port(), default_port(service));
        assert!(service.listen(&loaded).ip().is_unspecified(), "{} listens on all interfaces in a container", service.name());
    }
}

/// `kubectl kustomize` builds the base and the dev overlay. `.ci/run`
/// installs kubectl and sets PARTNERSHIP_REQUIRE_KUSTOMIZE, so there this
/// cannot skip; elsewhere it says so when kubectl is missing.
#[test]
fn the_manifests_build_with_kustomize() {
    let has_kubectl = std::process::Command::new("kubectl").arg("version").arg("--client").output().is_ok();
    if !has_kubectl {
        assert!(std::env::var_os("PARTNERSHIP_REQUIRE_KUSTOMIZE").is_none(), "kubectl is required but not installed");
        eprintln!("SKIPPED: no kubectl on this machine (`.ci/run` installs it)");
        return;
    }
    for overlay in ["k8s/base", "k8s/dev"] {
        let output = std::process::Command::new("kubectl").arg("kustomize").arg(deploy(overlay)).output().unwrap();
        assert!(output.status.success(), "{overlay}: {}", String::from_utf8_lossy(&output.stderr));
        let built = String::from_utf8_lossy(&output.stdout);
        assert_eq!(built.matches("\nkind: Deployment").count(), Service::ALL.len(), "{overlay}");
        assert!(built.contains("name: partnership-config"), "{overlay}: the config map");
        assert!(built.contains("namespace: partnership"));
        if overlay.ends_with("dev") {
            assert!(built.contains("kind: StatefulSet") && built.contains("name: partnership-databases"));
        }
    }
}
