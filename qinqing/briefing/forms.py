from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.core.figures import all_figures


class IssueForm(forms.Form):
    series = forms.ModelChoiceField(label=_("简报系列"), queryset=None)
    number = forms.IntegerField(label=_("期号"), min_value=1)
    issued_on = forms.DateField(label=_("印发日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, series_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = series_qs


class ArticleForm(forms.Form):
    title = forms.CharField(
        label=_("标题"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("一行或两行"),
    )
    body = forms.CharField(
        label=_("正文"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("每段一行；插入指标请用下方“插入指标”生成的标记"),
    )
    note = forms.CharField(label=_("修改说明"), required=False, max_length=200)


class NewArticleForm(ArticleForm):
    department = forms.ModelChoiceField(label=_("供稿单位"), queryset=None)
    contributor = forms.CharField(
        label=_("供稿署名"), required=False, max_length=60, help_text=_("留空则用单位简称")
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        if departments.count() == 1:
            self.fields["department"].initial = departments.first()


class CommentForm(forms.Form):
    text = forms.CharField(label=_("修改意见"), widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    series = forms.ModelChoiceField(label=_("简报系列"), queryset=None)
    text = forms.CharField(
        label=_("简报文本"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )
    file = forms.FileField(label=_("或上传文本文件（UTF-8）"), required=False)
    number = forms.IntegerField(
        label=_("期号"), required=False, min_value=1, help_text=_("留空则从文本识别")
    )

    def __init__(self, *args, series_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = series_qs

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            raw = upload.read()
            try:
                data["text"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    data["text"] = raw.decode("gb18030")
                except UnicodeDecodeError:
                    self.add_error("file", _("无法识别文件编码，请保存为 UTF-8 文本"))
        if not data.get("text", "").strip() and not self.errors:
            self.add_error("text", _("请粘贴简报文本或上传文件"))
        return data


class FigureTokenForm(forms.Form):
    figure = forms.ChoiceField(label=_("指标"))
    start = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    scale = forms.ChoiceField(
        label=_("换算"),
        required=False,
        choices=[("", _("原值")), ("万", _("以万计")), ("亿", _("以亿计"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["figure"].choices = [
            (f.name, f"{f.label}（{f.unit}）· {f.name}") for f in all_figures()
        ]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data
