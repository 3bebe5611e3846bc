"""The PyTorch side of the `permrsa features` cross-checks (Debian python3-torch 1.13,
python3-torchvision 0.14, python3-scipy, python3-pil).

Preprocessing pinned here and in src/features/libtorch/torch_network.cpp (float32 throughout):
  PIL decode -> RGB uint8 -> float32 tensor (0..255)
  -> torchvision.transforms.functional.resize(x, [resize], BILINEAR, antialias=True)
     (on a float tensor: F.interpolate(mode="bilinear", align_corners=False, antialias=True),
     no rounding back to uint8; target size from torchvision's _compute_resized_output_size)
  -> torchvision.transforms.functional.center_crop(x, [crop])
  -> x.div(255) (ToTensor's scaling) -> torchvision.transforms.functional.normalize(mean, std).
RDMs: scipy.spatial.distance.pdist(activations as float64, metric), i.e. SciPy's definitions of
correlation (1 - Pearson), euclidean and cosine, in squareform's condensed order."""
import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image
from scipy.spatial.distance import pdist
from torchvision.models.feature_extraction import create_feature_extractor

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def preprocess(path, resize=256, crop=224):
    rgb = np.asarray(Image.open(path).convert("RGB"))
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1).to(torch.float32)
    if resize:
        x = TF.resize(x, [resize], interpolation=TF.InterpolationMode.BILINEAR, antialias=True)
    if crop:
        x = TF.center_crop(x, [crop])
    x = x.div(255)
    return TF.normalize(x, IMAGENET_MEAN, IMAGENET_STD)


def torchvision_model(arch, weights_file):
    """The torchvision architecture with the given state dict, eval mode, ReLUs out-of-place."""
    model = getattr(torchvision.models, arch)(weights=None)
    model.load_state_dict(torch.load(weights_file, map_location="cpu"))
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    return model.eval()


def save_random_weights(arch, seed, path):
    torch.manual_seed(seed)
    torch.save(getattr(torchvision.models, arch)(weights=None).state_dict(), path)


def layer_activations(run, images, batch=8, resize=256, crop=224):
    """{layer: float32 array (S, D)} from `run(batch tensor) -> {layer: tensor}`, run in the
    same global batches as permrsa (images [8k, 8k + 8))."""
    chunks = {}
    with torch.inference_mode():
        for first in range(0, len(images), batch):
            x = torch.stack([preprocess(p, resize, crop) for p in images[first:first + batch]])
            for name, t in run(x).items():
                chunks.setdefault(name, []).append(t.reshape(t.shape[0], -1).numpy().copy())
    return chunks


def rdms_from_chunks(chunks, layers, metric="correlation"):
    """(L, P) float64 RDMs with scipy's pdist; frees each layer's activations when done."""
    out = []
    for name in layers:
        x = np.concatenate(chunks.pop(name)).astype(np.float64)
        out.append(pdist(x, metric))
        del x
    return np.stack(out)


def feature_extractor(model, layers):
    return create_feature_extractor(model, return_nodes={n: n for n in layers}).eval()


def save_tiny_sequential(path):
    """A tiny scripted nn.Sequential (conv, ReLU, flatten; seed 0) for fast `permrsa features`
    runs on small crops: three layers named '0', '1', '2'. Returns path."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=4), torch.nn.ReLU(),
                              torch.nn.Flatten()).eval()
    torch.jit.script(net).save(str(path))
    return path
