# Small ONNX graphs in the shapes older exporters (ONNX Model Zoo era) wrote, built with
# onnx.helper: Conv without bias + Add, MatMul + Add, Reshape as flatten, auto_pad, Constant
# nodes, legacy attributes (opset 6-8). Usage: legacy-graphs.py OUT_DIR
import os, sys
import numpy as np
import onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh

rng = np.random.default_rng(0)
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
f32 = lambda *s: rng.standard_normal(s).astype(np.float32) * 0.3
init = lambda name, a: nh.from_array(a, name)

def save(name, nodes, inits, inp, outp, opset, ir=3):
    # IR 3: every initializer is also listed as a graph input.
    ins = [h.make_tensor_value_info('data', T.FLOAT, inp)] + [h.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
    g = h.make_graph(nodes, name, ins, [h.make_tensor_value_info(outp[0], T.FLOAT, outp[1])], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)], producer_name='legacy-test')
    m.ir_version = ir
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + '.onnx'))

# 1. opset 8: Conv (no bias) + Add [C,1,1], BatchNormalization (spatial, is_test... opset 7+ has spatial), Relu,
#    MaxPool, Reshape [1, -1] (shape as an initializer), MatMul + Add, Softmax.
save('zoo-opset8', [
    h.make_node('Conv', ['data', 'w1'], ['c1'], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    h.make_node('Add', ['c1', 'b1'], ['a1']),
    h.make_node('BatchNormalization', ['a1', 'g', 'be', 'm', 'v'], ['bn'], epsilon=1e-3, momentum=0.99, spatial=1),
    h.make_node('Relu', ['bn'], ['r1']),
    h.make_node('MaxPool', ['r1'], ['p1'], kernel_shape=[2, 2], strides=[2, 2]),
    h.make_node('Reshape', ['p1', 'shape'], ['flat']),
    h.make_node('MatMul', ['flat', 'w2'], ['mm']),
    h.make_node('Add', ['mm', 'b2'], ['logits']),
    h.make_node('Softmax', ['logits'], ['prob']),
], [init('w1', f32(8, 3, 3, 3)), init('b1', f32(8, 1, 1)), init('g', 1 + f32(8) * 0.2), init('be', f32(8)), init('m', f32(8) * 0.3), init('v', (1 + np.abs(f32(8))).astype(np.float32)),
    init('shape', np.array([1, -1], dtype=np.int64)), init('w2', f32(8 * 4 * 4, 5)), init('b2', f32(5))],
   [1, 3, 8, 8], ('prob', [1, 5]), 8)

# 2. auto_pad: SAME_UPPER stride 2 (Netwright's 'same'), SAME_LOWER (asymmetric: Pad + valid conv),
#    Constant nodes holding the weights, Clip as attributes (ReLU6, opset < 11), Reshape [-1, C*H*W], Gemm transB=0.
save('autopad-opset8', [
    h.make_node('Constant', [], ['w1'], value=nh.from_array(f32(6, 3, 3, 3), 'w1v')),
    h.make_node('Constant', [], ['b1'], value=nh.from_array(f32(6), 'b1v')),
    h.make_node('Conv', ['data', 'w1', 'b1'], ['c1'], kernel_shape=[3, 3], strides=[2, 2], auto_pad='SAME_UPPER'),
    h.make_node('Clip', ['c1'], ['r1'], min=0.0, max=6.0),
    h.make_node('Conv', ['r1', 'w2'], ['c2'], kernel_shape=[2, 2], auto_pad='SAME_LOWER'),
    h.make_node('LeakyRelu', ['c2'], ['r2'], alpha=0.2),
    h.make_node('Dropout', ['r2'], ['d'], ratio=0.3),
    h.make_node('Reshape', ['d', 'shape'], ['flat']),
    h.make_node('Gemm', ['flat', 'w3', 'b3'], ['scores'], transB=0),
], [init('w2', f32(4, 6, 2, 2)), init('shape', np.array([-1, 4 * 5 * 5], dtype=np.int64)), init('w3', f32(100, 3)), init('b3', f32(3))],
   [1, 3, 9, 9], ('scores', [1, 3]), 8)

# 3. opset 7: Gemm head after GlobalAveragePool + Flatten, a residual Add, Sum of two branches,
#    Concat, Sigmoid, Tanh; a symbolic batch dimension.
nodes = [
    h.make_node('Conv', ['data', 'w1', 'b1'], ['c1'], kernel_shape=[1, 1]),
    h.make_node('Relu', ['c1'], ['r1']),
    h.make_node('Conv', ['r1', 'w2', 'b2'], ['c2'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2),
    h.make_node('Add', ['c2', 'r1'], ['res']),
    h.make_node('Sigmoid', ['res'], ['s']),
    h.make_node('Tanh', ['res'], ['t']),
    h.make_node('Sum', ['s', 't'], ['st']),
    h.make_node('Concat', ['st', 'r1'], ['cat'], axis=1),
    h.make_node('AveragePool', ['cat'], ['ap'], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1),
    h.make_node('GlobalAveragePool', ['ap'], ['gap']),
    h.make_node('Flatten', ['gap'], ['flat'], axis=1),
    h.make_node('Gemm', ['flat', 'w3', 'b3'], ['scores'], transB=1, alpha=1.0, beta=1.0),
]
inits = [init('w1', f32(4, 3, 1, 1)), init('b1', f32(4)), init('w2', f32(4, 2, 3, 3)), init('b2', f32(4)), init('w3', f32(4, 8)), init('b3', f32(4))]
g = h.make_graph(nodes, 'branches-opset7', [h.make_tensor_value_info('data', T.FLOAT, ['N', 3, 6, 6])], [h.make_tensor_value_info('scores', T.FLOAT, ['N', 4])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 7)])
m.ir_version = 4
onnx.checker.check_model(m)
onnx.save(m, os.path.join(out, 'branches-opset7.onnx'))

# 5. opset 9: x.view(x.size(0), -1) as older PyTorch exported it: Shape -> Gather -> Unsqueeze ->
#    Concat with -1 -> Reshape; a fixed batch of 2 (read as N).
save('viewflat-opset9', [
    h.make_node('Conv', ['data', 'w1', 'b1'], ['c1'], kernel_shape=[3, 3]),
    h.make_node('Relu', ['c1'], ['r1']),
    h.make_node('Shape', ['r1'], ['shp']),
    h.make_node('Constant', [], ['zero'], value=nh.from_array(np.array(0, dtype=np.int64), 'zv')),
    h.make_node('Gather', ['shp', 'zero'], ['n'], axis=0),
    h.make_node('Unsqueeze', ['n'], ['n1'], axes=[0]),
    h.make_node('Constant', [], ['minus1'], value=nh.from_array(np.array([-1], dtype=np.int64), 'mv')),
    h.make_node('Concat', ['n1', 'minus1'], ['target'], axis=0),
    h.make_node('Reshape', ['r1', 'target'], ['flat']),
    h.make_node('Gemm', ['flat', 'w2', 'b2'], ['scores'], transB=1),
], [init('w1', f32(4, 3, 3, 3)), init('b1', f32(4)), init('w2', f32(3, 4 * 4 * 4)), init('b2', f32(3))], [2, 3, 6, 6], ('scores', [2, 3]), 9)

# 4. refused: LRN (no Netwright layer) after a conv.
save('refused-lrn', [
    h.make_node('Conv', ['data', 'w1'], ['c1'], kernel_shape=[3, 3]),
    h.make_node('LRN', ['c1'], ['n1'], size=3, name='norm1'),
    h.make_node('Flatten', ['n1'], ['flat']),
    h.make_node('Gemm', ['flat', 'w2', 'b2'], ['scores'], transB=1),
], [init('w1', f32(4, 3, 3, 3)), init('w2', f32(2, 4 * 4 * 4)), init('b2', f32(2))], [1, 3, 6, 6], ('scores', [1, 2]), 8)
print('ok')
