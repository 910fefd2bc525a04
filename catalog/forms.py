from django import forms


class ImportModelForm(forms.Form):
    file = forms.FileField(help_text="A YOLO ONNX export: input [N,3,H,W] with fixed H and W")
    name = forms.SlugField(max_length=64, required=False, help_text="Triton model name (default: the file name)")
