#!/usr/bin/python3
"""PyTorch twin of a classifier cfg of the teacher study (cfg/context_*.cfg):
builds the same network layer for layer from the cfg, initialises it as
darknet does, trains it with darknet's update rule and schedule from the cfg's
[net] on the files of `darknet synth -classify [-context]` (batch k = images
32k..32k+31 of train.txt, the stream `darknet shapes CFG [-context] -seed S`
trains on), and prints held-out accuracy along the way. If the twin learns
clearly faster than `darknet shapes` with the same recipe, darknet has a bug;
if it is as slow, the recipe is at fault, and the options below try others.

  darknet synth DATA -classify -context -n 32000 -valid 500 -seed 1
  python3 scripts/torch_context_twin.py cfg/context_convnext.cfg DATA -steps 400 -every 100

Supported sections: convolutional (groups, size_x/size_y, batch_normalize,
init_std), layernorm, shortcut, route (one layer), avgpool, maxpool,
connected, softmax, posembed, attention (global, or window without shift or
relative bias). Recipe options: -adam, -lr, -burn_in, -decay; -init trunc02
(weights N(0, 0.02^2) truncated at 2 sd, ConvNeXt's and ViT's init);
-layer_scale V (a learned per-channel scale, initially V, on each residual
branch: the layer before a [shortcut] when it is a 1x1 conv or [attention]);
-norm bn (every [layernorm] a batch norm); -stem_bn (batch norm on the first
conv); -center (input (x - 0.5) / 0.25).
One thread (torch.set_num_threads(1)): the machine is shared. What it showed
is in docs/DISTILLATION.md, "The teachers' recipe".
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_cfg(path):
    sections = []
    for raw in open(path):
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        if line.startswith('['):
            sections.append((line.strip('[]'), {}))
        else:
            k, v = line.split('=', 1)
            sections[-1][1][k.strip()] = v.strip()
    return sections


ACT = {'linear': lambda x: x, 'relu': F.relu, 'gelu': F.gelu, 'leaky': lambda x: F.leaky_relu(x, 0.1),
       'logistic': torch.sigmoid}


class LayerNormC(nn.Module):
    """[layernorm]: over the channels at each position, eps 1e-6."""

    def __init__(self, c, eps):
        super().__init__()
        self.gamma, self.beta, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        mean = x.mean(1, keepdim=True)
        var = ((x - mean) ** 2).mean(1, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.eps)
        return y * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)


class Attention(nn.Module):
    """[attention]: qkv and output projections, softmax(q k^T / sqrt(d)) per head and window."""

    def __init__(self, c, heads, window, shift):
        super().__init__()
        self.qkv, self.out = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.heads, self.window, self.shift = heads, window, shift

    def attend(self, t):            # t: (n, tokens, c)
        n, L, c = t.shape
        q, k, v = self.qkv(t).view(n, L, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        return (F.softmax(q @ k.transpose(-1, -2) / (c // self.heads) ** 0.5, -1) @ v).transpose(1, 2).reshape(n, L, c)

    def forward(self, x):
        n, c, h, w = x.shape
        win = self.window if self.window and self.window < max(h, w) else 0
        if not win:
            return self.out(self.attend(x.flatten(2).transpose(1, 2))).transpose(1, 2).reshape(n, c, h, w)
        if self.shift:
            raise SystemExit('twin: shifted windows are not supported')
        t = x.view(n, c, h // win, win, w // win, win).permute(0, 2, 4, 3, 5, 1).reshape(-1, win * win, c)
        t = self.out(self.attend(t)).view(n, h // win, w // win, win, win, c)
        return t.permute(0, 5, 1, 3, 2, 4).reshape(n, c, h, w)


class Twin(nn.Module):
    def __init__(self, sections, init, layer_scale, norm, gen):
        super().__init__()
        net = sections[0][1]
        c, h, w = int(net['channels']), int(net['height']), int(net['width'])
        self.specs, self.mods, shapes = [], nn.ModuleList(), []
        self.decayed = []           # darknet decays conv/connected weights only
        for i, (kind, o) in enumerate(sections[1:]):
            mod, spec = nn.Identity(), dict(kind=kind, act=ACT[o.get('activation', 'linear')])
            if kind == 'convolutional':
                f, g = int(o['filters']), int(o.get('groups', 1))
                ky, kx = int(o.get('size_y', o.get('size', 1))), int(o.get('size_x', o.get('size', 1)))
                s = int(o.get('stride', 1))
                pad = int(o.get('pad', 0))
                py, px = (ky // 2, kx // 2) if pad else (int(o.get('padding', 0)),) * 2
                bn = int(o.get('batch_normalize', 0))
                conv = nn.Conv2d(c, f, (ky, kx), s, (py, px), groups=g, bias=not bn)
                std = float(o.get('init_std', 0)) or (2.0 / (c // g * kx * ky)) ** 0.5
                with torch.no_grad():
                    if init == 'trunc02':
                        conv.weight.copy_(torch.fmod(torch.randn(conv.weight.shape, generator=gen), 2) * 0.02)
                    else:
                        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * std)
                    if not bn:
                        conv.bias.zero_()
                self.decayed.append(conv.weight)
                mod = nn.Sequential(conv, nn.BatchNorm2d(f, eps=1e-5)) if bn else conv
                c, h, w = f, (h + 2 * py - ky) // s + 1, (w + 2 * px - kx) // s + 1
                spec['pointwise'] = kx == 1 and ky == 1
            elif kind == 'layernorm':
                mod = nn.BatchNorm2d(c) if norm == 'bn' else LayerNormC(c, float(o.get('eps', 1e-6)))
            elif kind == 'shortcut':
                spec['from'] = int(o['from']) if int(o['from']) >= 0 else i + int(o['from'])
                prev = self.specs[i - 1]
                if layer_scale and (prev['kind'] == 'attention' or prev.get('pointwise')):
                    mod = nn.Module()
                    mod.scale = nn.Parameter(torch.full((c,), layer_scale))
                    spec['scaled'] = True
            elif kind == 'route':
                spec['from'] = int(o['layers']) if int(o['layers']) >= 0 else i + int(o['layers'])
                c, h, w = shapes[spec['from']]
            elif kind == 'avgpool':
                h = w = 1
            elif kind == 'maxpool':
                spec['size'], spec['stride'] = int(o.get('size', 2)), int(o.get('stride', 2))
                h, w = h // spec['stride'], w // spec['stride']
            elif kind == 'connected':
                n_in, f = c * h * w, int(o['output'])
                mod = nn.Linear(n_in, f)
                with torch.no_grad():
                    r = (2.0 / n_in) ** 0.5
                    mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) * 2 * r - r)
                    mod.bias.zero_()
                self.decayed.append(mod.weight)
                c, h, w = f, 1, 1
            elif kind == 'posembed':
                mod = nn.Module()
                mod.e = nn.Parameter(torch.fmod(torch.randn((1, c, h, w), generator=gen), 2) * 0.02)
            elif kind == 'attention':
                if o.get('pos_bias', 'none') != 'none':
                    raise SystemExit('twin: pos_bias is not supported')
                mod = Attention(c, int(o.get('heads', 1)), int(o.get('window', 0)), int(o.get('shift', 0)))
                r = 1 / c ** 0.5
                with torch.no_grad():
                    for lin in (mod.qkv, mod.out):
                        if init == 'trunc02':
                            lin.weight.copy_(torch.fmod(torch.randn(lin.weight.shape, generator=gen), 2) * 0.02)
                        else:
                            lin.weight.copy_(torch.rand(lin.weight.shape, generator=gen) * 2 * r - r)
                        lin.bias.zero_()
                self.decayed += [mod.qkv.weight, mod.out.weight]
            elif kind != 'softmax':
                raise SystemExit('twin: section [%s] is not supported' % kind)
            self.specs.append(spec)
            self.mods.append(mod)
            shapes.append((c, h, w))

    def forward(self, x):           # returns logits (the input of [softmax])
        outs = []
        for spec, mod in zip(self.specs, self.mods):
            k = spec['kind']
            if k in ('convolutional', 'connected'):
                x = spec['act'](mod(x.flatten(1) if k == 'connected' else x))
            elif k in ('layernorm', 'attention'):
                x = mod(x)
            elif k == 'shortcut':
                branch = x * mod.scale.view(1, -1, 1, 1) if spec.get('scaled') else x
                x = spec['act'](branch + outs[spec['from']])
            elif k == 'route':
                x = outs[spec['from']]
            elif k == 'avgpool':
                x = x.mean((2, 3), keepdim=True)
            elif k == 'maxpool':
                x = F.max_pool2d(x, spec['size'], spec['stride'])
            elif k == 'posembed':
                x = x + mod.e
            outs.append(x)
        return x.flatten(1)


def load_split(data, split, n):
    """The first n images of train.txt / valid.txt as float arrays (cached beside the data)."""
    cache = os.path.join(data, '%s%d.npz' % (split, n))
    if os.path.exists(cache):
        z = np.load(cache)
        return z['x'], z['y']
    import cv2   # Debian's python3-opencv, which scripts/install_deps.sh installs
    names = open(os.path.join(data, 'labels.txt')).read().split()
    paths = open(os.path.join(data, split + '.txt')).read().split()[:n]
    x = np.stack([cv2.imread(p)[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255 for p in paths])
    y = np.array([names.index(os.path.basename(p).split('_')[0]) for p in paths])
    np.savez(cache, x=x, y=y)
    return x, y


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        right = sum((model(torch.from_numpy(x[i:i + 100])).argmax(1).numpy() == y[i:i + 100]).sum()
                    for i in range(0, len(x), 100))
    model.train()
    return right / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('cfg')
    p.add_argument('data')
    for flag, typ, default in [('-steps', int, 300), ('-every', int, 100), ('-seed', int, 1), ('-lr', float, None),
                               ('-burn_in', int, None), ('-layer_scale', float, 0), ('-init', str, 'darknet'),
                               ('-decay', float, None), ('-norm', str, 'ln')]:
        p.add_argument(flag, type=typ, default=default)
    p.add_argument('-adam', action='store_true')
    p.add_argument('-center', action='store_true')
    p.add_argument('-stem_bn', action='store_true')
    a = p.parse_args()
    torch.set_num_threads(1)
    sections = read_cfg(a.cfg)
    net = sections[0][1]
    if a.stem_bn:
        sections[1][1]['batch_normalize'] = '1'
    model = Twin(sections, a.init, a.layer_scale, a.norm, torch.Generator().manual_seed(a.seed))
    batch = int(net['batch'])
    lr0 = a.lr if a.lr is not None else float(net['learning_rate'])
    burn_in = a.burn_in if a.burn_in is not None else int(net.get('burn_in', 0))
    power = float(net.get('power', 4))
    decay = a.decay if a.decay is not None else float(net.get('decay', 0.0005))
    adam = a.adam or net.get('adam') == '1'
    decayed = {id(t) for t in model.decayed}
    params = list(model.parameters())
    if adam:    # darknet's Adam: L2 added to the gradient, eps on the summed gradient's scale
        opt = torch.optim.Adam(params, lr=lr0, betas=(float(net.get('B1', 0.9)), float(net.get('B2', 0.999))),
                               eps=float(net.get('eps', 1e-7)) / batch)
    else:       # darknet's SGD: buf = momentum buf + g; w -= lr buf (PyTorch's, dampening 0)
        opt = torch.optim.SGD(params, lr=lr0, momentum=float(net.get('momentum', 0.9)))
    xt, yt = load_split(a.data, 'train', a.steps * batch)
    xv, yv = load_split(a.data, 'valid', 500)
    if a.center:
        xt, xv = (xt - 0.5) / 0.25, (xv - 0.5) / 0.25
    print('%s: %d params, %s lr %g burn_in %d, init %s, layer_scale %g, %d train / %d valid images' %
          (a.cfg, sum(t.numel() for t in params), 'adam' if adam else 'sgd', lr0, burn_in, a.init, a.layer_scale,
           len(xt), len(xv)), flush=True)
    avg = None
    for it in range(1, a.steps + 1):
        lr = lr0 * (it / burn_in) ** power if it < burn_in else lr0
        for g in opt.param_groups:
            g['lr'] = lr
        k = (it - 1) * batch % len(xt)
        x, y = torch.from_numpy(xt[k:k + batch]), torch.from_numpy(yt[k:k + batch])
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        with torch.no_grad():
            for t in params:
                if id(t) in decayed:
                    t.grad.add_(t, alpha=decay)
        opt.step()
        avg = loss.item() if avg is None else 0.9 * avg + 0.1 * loss.item()
        if it % a.every == 0 or it == a.steps:
            print('step %5d  loss %.3f  held-out accuracy %.3f' % (it, avg, accuracy(model, xv, yv)), flush=True)


if __name__ == '__main__':
    sys.exit(main())
