"""Host lists, hostfiles, Slurm hostlists and placement (pure parsing, no hosts needed)."""
import pytest

from stagger.launch.remote.hosts import (HostError, HostSpec, expand_nodelist, load_placement, make_placement, parse_hosts,
                          read_hostfile, slurm_hosts, split_top)


def test_split_top_keeps_bracket_commas_together():
    assert split_top("a[1,3-4],b, c") == ["a[1,3-4]", "b", "c"]
    with pytest.raises(HostError, match="unbalanced"):
        split_top("a[1,2")


@pytest.mark.parametrize("text, hosts", [
    ("node[01-03],gpu7", ["node01", "node02", "node03", "gpu7"]),
    ("gpu7", ["gpu7"]),
    ("n[8-11]", ["n8", "n9", "n10", "n11"]),
    ("n[098-101]", ["n098", "n099", "n100", "n101"]),
    ("c[1,3,5-6]x", ["c1x", "c3x", "c5x", "c6x"]),
    ("r[1-2]-n[01-02]", ["r1-n01", "r1-n02", "r2-n01", "r2-n02"]),
    ("10.0.0.1,10.0.0.2", ["10.0.0.1", "10.0.0.2"]),
])
def test_slurm_hostlists_expand_in_order_with_zero_padding(text, hosts):
    assert expand_nodelist(text) == hosts


@pytest.mark.parametrize("bad", ["n[3-1]", "n[a-b]", "n[1-2"])
def test_bad_hostlists_say_what_is_wrong(bad):
    with pytest.raises(HostError):
        expand_nodelist(bad)


def test_host_list_counts_and_ranges():
    assert parse_hosts("h1,h2:4,node[01-02]:2") == [
        HostSpec("h1"), HostSpec("h2", 4), HostSpec("node01", 2), HostSpec("node02", 2)]
    with pytest.raises(HostError, match="number of inference nodes"):
        parse_hosts("h1:x")
    with pytest.raises(HostError, match="twice"):
        parse_hosts("h1,h1:2")


def test_hostfile_lines_comments_and_slots(tmp_path):
    f = tmp_path / "hosts"
    f.write_text("# the cluster\nh1\nh2:4   # gpu box\n\ngpu[1-2] slots=2\n")
    assert read_hostfile(f) == [HostSpec("h1"), HostSpec("h2", 4), HostSpec("gpu1", 2), HostSpec("gpu2", 2)]
    f.write_text("h1 h2\n")
    with pytest.raises(HostError, match=":1: "):
        read_hostfile(f)


def test_slurm_allocation_hosts():
    assert [s.name for s in slurm_hosts({"SLURM_JOB_NODELIST": "node[01-03],gpu7"})] == [
        "node01", "node02", "node03", "gpu7"]
    with pytest.raises(HostError, match="SLURM_JOB_NODELIST"):
        slurm_hosts({})


def test_placement_from_options():
    specs = parse_hosts("a:0,b:3,c")
    p = make_placement(specs, env_host="a", learner_host="@2", per_host=2)
    assert (p.env, p.learner) == ("a", "c")
    assert p.inference_nodes() == [("inf00", "b"), ("inf01", "b"), ("inf02", "b"), ("inf03", "c"), ("inf04", "c")]
    assert p.hosts() == ["a", "c", "b"]
    d = make_placement(parse_hosts("x,y"))
    assert (d.env, d.learner, d.inference_nodes()) == ("x", "x", [("inf00", "x"), ("inf01", "y")])
    with pytest.raises(HostError, match="no inference node"):
        make_placement(parse_hosts("a:0"))
    with pytest.raises(HostError, match="only 2 hosts"):
        make_placement(parse_hosts("a,b"), env_host="@5")


def test_placement_file(tmp_path):
    f = tmp_path / "placement.toml"
    f.write_text('env = "node01"\nlearner = "gpu02"\n[inference]\ngpu01 = 2\ngpu02 = 1\n')
    p = load_placement(f)
    assert (p.env, p.learner) == ("node01", "gpu02")
    assert p.inference_nodes() == [("inf00", "gpu01"), ("inf01", "gpu01"), ("inf02", "gpu02")]
    f.write_text('env = "a"\nlerner = "b"\n[inference]\na = 1\n')
    with pytest.raises(HostError, match="unknown: lerner"):
        load_placement(f)


def test_placement_file_gives_a_host_its_own_workers_per_process(tmp_path):
    from stagger.launch import worker_groups
    f = tmp_path / "placement.toml"
    f.write_text('env = "a"\n[inference]\na = 1\nb = {count = 5, workers_per_process = 2}\n')
    p = load_placement(f)
    assert p.workers == {"b": 2} and len(p.inference_nodes()) == 6
    ids = [n for n, h in p.inference_nodes() if h == "b"]
    assert worker_groups.group(ids, p.workers["b"]) == [("inf01+1", ["inf01", "inf02"]),
                                                         ("inf03+1", ["inf03", "inf04"]), ("inf05", [])]
    f.write_text('env = "a"\n[inference]\na = {count = 2, workers_per_process = 0}\n')
    with pytest.raises(HostError, match="workers_per_process = K >= 1"):
        load_placement(f)
