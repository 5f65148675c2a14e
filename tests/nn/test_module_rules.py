"""nn.Module bookkeeping: Parameter construction, attribute registration rules, requires_grad_, and
load_state_dict's report of an entry that is not an array."""
import numpy as np
import pytest

import minigrad as mg


# --------------------------------------------------------------------------- nn.Module bookkeeping
def test_parameter_construction_forms():
    assert mg.nn.Parameter().shape == (0,)
    p = mg.nn.Parameter([1.0, 2.0], requires_grad=False)
    assert p.tolist() == [1.0, 2.0] and not p.requires_grad and p.dtype == mg.float32


def test_module_attribute_rules_apply_and_requires_grad():
    class Net(mg.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = mg.nn.Linear(2, 2)
            self.b = self.a  # shared: listed once by parameters()
            self.w = mg.nn.Parameter(mg.ones(1))

    net = Net()
    assert len(list(net.parameters())) == 3 and len(net.state_dict()) == 5
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        net.w = mg.ones(1)
    net.w = None
    assert "w" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'a'"):
        net.a = 3
    net.b = None
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        net.add_module("c", 3)
    with pytest.raises(KeyError, match="can't be empty or contain"):
        net.add_module("x.y", mg.nn.ReLU())
    with pytest.raises(TypeError, match="module name should be a string"):
        net.add_module(1, mg.nn.ReLU())

    class Early(mg.nn.Module):
        def __init__(self):
            self.m = mg.nn.ReLU()

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        Early()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Net"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)


def test_load_state_dict_reports_an_entry_that_is_not_an_array():
    lin = mg.nn.Linear(2, 1)
    before = lin.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight"'):
        lin.load_state_dict({"weight": [["a", "b"]], "bias": [0.0]})
    np.testing.assert_array_equal(lin.weight.detach().numpy().copy(), before)  # nothing copied
    lin.load_state_dict({"weight": [[1.0, 2.0]], "bias": [0.5]})
    assert lin.weight.tolist() == [[1.0, 2.0]] and lin.bias.tolist() == [0.5]
